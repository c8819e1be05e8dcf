"""Atomic file writes: a crash at any moment leaves either the old or the new file.

The data goes to a temporary file in the same folder, is flushed to disk, then replaces
the target with ``os.replace``; the folder is then flushed too, so the rename itself
survives a power cut. The new file keeps the permission bits of the file it replaces
(a new file gets ``0o666`` less the umask, as ``open`` would give it). SGF files,
checkpoints' metadata and every run-directory file are written this way.

``crash_hook``, when set (crash tests only), is called as ``crash_hook(path, step)`` at
each step of every write: ``"temporary"`` (the temporary file is complete, the target
untouched) and ``"replaced"`` (the target holds the new data); a test makes it end the
process to simulate a kill at that moment.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

crash_hook: Callable[[Path, str], None] | None = None


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return _new_file_mode()


def fsync_directory(folder: str | os.PathLike) -> None:
    """Flush ``folder``'s entries (renames, new files) to disk."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` (parent folders are created) through a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _mode_for(path))
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if crash_hook is not None:
            crash_hook(path, "temporary")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    if crash_hook is not None:
        crash_hook(path, "replaced")


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))
