"""Keep numba's on-disk cache of kernels built on the rules kernels in step with them.

numba re-compiles a cached function when its own source file changes, but not when a
function it calls from another file does, and the search kernels (``mcts.tree_kernels``)
and the liberty planes (``network.liberties``) compile ``go.kernels``' code into
themselves (the search kernels also build ``mcts.tree_arrays``' NamedTuples). ``drop_if_stale``
remembers a fingerprint of the module and of the files it depends on next to the cache and
deletes the module's cache entries when it changes, so that an edit to the rules or to the
kernels' argument structures reaches the search at the next import.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def drop_if_stale(module_file: str, dependencies: list[str]) -> None:
    """Delete ``<module>.*.nbi/.nbc`` in the module's ``__pycache__`` when the sources of
    the module or of its ``dependencies`` changed since the last call. Best effort: a
    read-only or missing cache directory is left alone (numba then caches elsewhere)."""
    module = Path(module_file)
    cache_dir = module.parent / "__pycache__"
    try:
        digest = hashlib.sha256()
        for path in [module_file, *dependencies]:
            digest.update(Path(path).read_bytes())
        stamp = digest.hexdigest()
        marker = cache_dir / f"{module.stem}.sources-stamp"
        if marker.is_file() and marker.read_text() == stamp:
            return
        for entry in cache_dir.glob(f"{module.stem}.*.nb[ic]"):
            entry.unlink(missing_ok=True)
        cache_dir.mkdir(exist_ok=True)
        temp = marker.with_suffix(f".tmp{id(stamp)}")
        temp.write_text(stamp)
        temp.replace(marker)
    except OSError:
        return
