"""The run directory's lock: one run at a time writes a run directory.

``RunDirLock`` takes an exclusive ``fcntl.flock`` on ``<run>/lock`` and writes the
holder (process id, host, start time) into it. The operating system drops the lock when
the holding process ends, however it ends, so the lock of a killed run never blocks the
next one; the file itself stays and only names the last holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from rundir.errors import RunDirLockedError

LOCK_FILE = "lock"


class RunDirLock:
    """An exclusive lock on a run directory (a context manager).

    Args:
        root: the run directory (created if missing).

    ``acquire`` raises ``RunDirLockedError`` naming the holder (pid, host, since) when
    another live process holds the lock.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.path = Path(root) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunDirLock:
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd)
            os.close(fd)
            raise RunDirLockedError(
                f"{self.path.parent} is in use by another run ({holder}); stop it first, "
                f"or use another --run-dir") from None
        except BaseException:
            os.close(fd)
            raise
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["since"])))
            return f"process {int(info['pid'])} on host {info['host']}, since {since}"
        except (ValueError, KeyError, TypeError):
            return "a process that has not written its name yet"

    def __enter__(self) -> RunDirLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
