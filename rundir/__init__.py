"""A training run's directory: its layout, the ``best`` pointer, the state, the resolved run
configuration (``RunConfig``, TOML in and out) and the directory's lock.

Training (``selfplay``), the arena and the GTP engine read and write runs only through this
package. It imports ``go``, ``network`` and ``mcts`` (their config dataclasses) and the
standard library; never tensorflow or ray.
"""

from rundir.errors import RunDirError, RunDirLockedError
from rundir.lock import RunDirLock
from rundir.run_dir import RunDir, read_best_pointer
from rundir.state import GateRecord, RunState, Session

__all__ = ["GateRecord", "RunDir", "RunDirError", "RunDirLock", "RunDirLockedError",
           "RunState", "Session", "read_best_pointer"]
