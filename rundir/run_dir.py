"""The run directory: everything one training run makes, written atomically.

Layout::

    <run>/config.toml            the resolved RunConfig (flags and --config merged)
    <run>/state.json             counters, generation, best, Elo, gate history
    <run>/lock                   the lock of the run using the directory (pid, host)
    <run>/checkpoints/           ckpt-<steps>.keras + .json metadata for every candidate,
                                 learner-<steps>.keras (+ .json): the learner's weights and
                                 optimizer when a session stopped (runs of older versions:
                                 learner.keras),
                                 best: a text file holding the best checkpoint's file name
    <run>/games/<shard>/<id>.npz every finished game, written the moment it arrives
    <run>/sgf/<id>.sgf           a sample of the games as SGF
    <run>/logs/                  TensorBoard event files (driver process only)
    <run>/live.json              one self-play game in progress, rewritten every move
                                 (``selfplay.live_game``; read by the web page)

Every write goes to a temporary file in the same folder, then ``os.replace``: a crash at
any moment leaves either the old or the new version of each file. Anything that fails to
read back raises ``RunDirError`` naming the file and what is wrong with it.

Order of writes, so that a kill at any moment leaves a directory that resumes: a game file
is written before ``state.json`` counts it; a checkpoint's ``.keras`` and ``.json`` are
written before ``state.json`` names it, under a name no earlier state names (so a pair
that state names is never rewritten); ``state.json`` is written before the ``best``
pointer, which ``reconcile`` rewrites from the state when a kill came between the two.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from go.atomic_file import write_bytes_atomic, write_text_atomic
from rundir.errors import RunDirError, RunDirLockedError
from rundir.json_file import read_json, write_json_atomic
from rundir.lock import RunDirLock
from rundir.state import STATE_VERSION, RunState, as_state, check_checkpoint_name, new_state

__all__ = ["GAMES_PER_SHARD", "STATE_VERSION", "RunDir", "RunDirError", "RunDirLock",
           "RunDirLockedError", "RunState", "new_state", "read_best_pointer", "read_json",
           "write_bytes_atomic", "write_json_atomic", "write_text_atomic"]

GAMES_PER_SHARD = 10_000
BEST_POINTER = "best"
LEARNER_PREFIX = "learner-"


def read_best_pointer(checkpoints: str | os.PathLike) -> str | None:
    """The checkpoint file name in ``<checkpoints>/best``, checked to exist; ``None`` when
    there is no pointer file. ``RunDirError`` naming the pointer when it is unreadable,
    not a plain ``.keras`` file name, or names a file that does not exist."""
    folder = Path(checkpoints)
    pointer = folder / BEST_POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{pointer}: cannot be read ({exc})") from exc
    check_checkpoint_name(name, str(pointer))
    if not (folder / name).is_file():
        raise RunDirError(f"{pointer}: names {name!r}, which does not exist")
    return name


class RunDir:
    """Paths and atomic reads/writes of one run directory (see the module docstring)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ paths
    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def best_pointer(self) -> Path:
        return self.checkpoints / "best"

    @staticmethod
    def learner_checkpoint_name(steps: int) -> str:
        """The file name of the learner's state saved after ``steps`` training steps."""
        return f"{LEARNER_PREFIX}{steps:08d}.keras"

    @property
    def games_dir(self) -> Path:
        return self.root / "games"

    @property
    def sgf_dir(self) -> Path:
        return self.root / "sgf"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def live_game_path(self) -> Path:
        return self.root / "live.json"

    def game_path(self, game_id: int) -> Path:
        """``games/<shard>/<id>.npz`` of game ``game_id`` (0-based, in arrival order)."""
        if game_id < 0:
            raise ValueError(f"game id must be non-negative, got {game_id}")
        return self.games_dir / f"{game_id // GAMES_PER_SHARD:05d}" / f"{game_id:09d}.npz"

    def sgf_path(self, game_id: int) -> Path:
        return self.sgf_dir / f"{game_id:09d}.sgf"

    @staticmethod
    def checkpoint_name(steps: int) -> str:
        """The file name of the candidate written after ``steps`` training steps."""
        return f"ckpt-{steps:08d}.keras"

    def checkpoint_path(self, name: str) -> Path:
        """``checkpoints/<name>``; ``RunDirError`` unless ``name`` is a plain ``.keras``
        file name."""
        return self.checkpoints / check_checkpoint_name(name, f"{self.checkpoints}")

    @staticmethod
    def metadata_path(checkpoint: Path) -> Path:
        """The JSON metadata beside a ``.keras`` checkpoint: ``<path>.json``."""
        return checkpoint.with_name(checkpoint.name + ".json")

    # ------------------------------------------------------------------ existence
    def exists(self) -> bool:
        """True when this directory already holds a run (its config file exists)."""
        return self.config_path.exists()

    def create(self) -> None:
        for d in (self.root, self.checkpoints, self.games_dir, self.sgf_dir, self.logs_dir):
            d.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ lock
    def lock(self) -> RunDirLock:
        """The directory's lock (not yet taken: ``acquire`` it, or use it in ``with``)."""
        return RunDirLock(self.root)

    # ------------------------------------------------------------------ state
    def read_state(self) -> RunState:
        """The validated ``state.json``; ``RunDirError`` naming the file and key if bad."""
        return RunState.from_json(read_json(self.state_path), str(self.state_path))

    def write_state(self, state: RunState | Mapping[str, Any]) -> None:
        """Write ``state`` (a ``RunState``, or its JSON form, validated) atomically."""
        write_json_atomic(self.state_path, as_state(state, "state to write").to_json())

    # ------------------------------------------------------------------ best pointer
    def read_best(self) -> str:
        """The file name in ``checkpoints/best``, checked to exist."""
        name = read_best_pointer(self.checkpoints)
        if name is None:
            raise RunDirError(f"{self.best_pointer}: file is missing")
        return name

    def write_best(self, name: str) -> None:
        if not self.checkpoint_path(name).is_file():
            raise RunDirError(f"cannot point best at {name!r}: no such checkpoint")
        write_text_atomic(self.best_pointer, name + "\n")

    def reconcile(self, state: RunState) -> list[str]:
        """Repair what a kill between two writes can leave behind, from ``state`` (the
        source of truth): the ``best`` pointer is rewritten when it does not name
        ``state.best``; temporary files of interrupted writes, learner pairs the state
        does not name and ``.keras`` files without their ``.json`` are removed.

        Returns one line per repair (for the log). Call only while holding the lock."""
        done = []
        for folder in (self.root, self.checkpoints, self.sgf_dir, *self._shard_dirs()):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                done.append(f"removed {tmp} (a write interrupted by a crash)")
        named = {state.best, state.learner_checkpoint, state.pending_candidate}
        for path in sorted(self.checkpoints.glob("*.keras")):
            if path.name in named:
                continue
            unnamed_learner = path.name.startswith(LEARNER_PREFIX)
            if unnamed_learner or not self.metadata_path(path).exists():
                self.metadata_path(path).unlink(missing_ok=True)
                path.unlink()
                done.append(f"removed {path} (written by a session killed before "
                            f"{self.state_path.name} named it)")
        if state.best:
            try:
                pointed = self.read_best()
            except RunDirError:
                pointed = None
            if pointed != state.best:
                self.write_best(state.best)
                done.append(f"{self.best_pointer}: named {pointed!r}, rewritten to "
                            f"{state.best!r} as {self.state_path.name} says")
        return done

    def _shard_dirs(self) -> list[Path]:
        return sorted(p for p in self.games_dir.glob("*") if p.is_dir()) \
            if self.games_dir.is_dir() else []

    # ------------------------------------------------------------------ checkpoints
    def write_checkpoint(self, name: str, keras_bytes: bytes, json_bytes: bytes) -> Path:
        """Write a checkpoint (``.keras`` bytes, then its ``.json`` metadata) atomically."""
        path = self.checkpoint_path(name)
        write_bytes_atomic(path, keras_bytes)
        write_bytes_atomic(self.metadata_path(path), json_bytes)
        return path

    def read_checkpoint(self, name: str) -> tuple[bytes, bytes]:
        """``(.keras bytes, .json bytes)`` of checkpoint ``name``; ``RunDirError`` if missing.

        The bytes are checked when loaded (``network.load_checkpoint``: size and hash)."""
        path = self.checkpoint_path(name)
        try:
            return path.read_bytes(), self.metadata_path(path).read_bytes()
        except FileNotFoundError as exc:
            raise RunDirError(f"{exc.filename}: checkpoint file is missing") from None

    def check_checkpoint(self, name: str) -> None:
        """Cheap checks of checkpoint ``name`` without loading it: both files exist and the
        ``.keras`` file has the size its metadata records (``RunDirError`` otherwise)."""
        path = self.checkpoint_path(name)
        meta = self.read_checkpoint_metadata(name)
        if not path.is_file():
            raise RunDirError(f"{path}: checkpoint file is missing")
        size = path.stat().st_size
        if "keras_bytes" in meta and size != meta["keras_bytes"]:
            raise RunDirError(f"{path}: {size} bytes, its metadata records "
                              f"{meta['keras_bytes']} (truncated or replaced)")

    def remove_learner_checkpoints(self, keep: str) -> None:
        """Delete the learner-state pairs (``learner-*.keras``) other than ``keep``: call
        after ``state.json`` names ``keep``."""
        for path in self.checkpoints.glob(f"{LEARNER_PREFIX}*.keras"):
            if path.name != keep:
                self.metadata_path(path).unlink(missing_ok=True)
                path.unlink(missing_ok=True)

    def read_checkpoint_metadata(self, name: str) -> dict[str, Any]:
        """The JSON metadata of checkpoint ``name``."""
        meta = read_json(self.metadata_path(self.checkpoint_path(name)))
        if not isinstance(meta, dict):
            raise RunDirError(f"{self.metadata_path(self.checkpoint_path(name))}: expected a "
                              f"JSON object")
        return meta

    def update_checkpoint_metadata(self, name: str, **values: Any) -> None:
        """Add ``values`` to checkpoint ``name``'s metadata (atomically rewritten)."""
        meta = self.read_checkpoint_metadata(name)
        meta.update(values)
        write_json_atomic(self.metadata_path(self.checkpoint_path(name)), meta)

    # ------------------------------------------------------------------ games
    def write_game(self, game_id: int, data: bytes) -> Path:
        """Write one game's ``.npz`` bytes atomically; returns its path."""
        path = self.game_path(game_id)
        write_bytes_atomic(path, data)
        return path

    def count_games(self, known: int = 0) -> int:
        """The number of consecutive game files ``0..n-1``, checking from ``known`` on.

        Game files are written in id order, so the files past the state's count are the
        games that arrived after the last state write (for example before a kill -9).
        """
        n = known
        while self.game_path(n).exists():
            n += 1
        if n > 0 and not self.game_path(n - 1).exists():
            raise RunDirError(
                f"{self.game_path(n - 1)}: file is missing although state.json counts "
                f"{known} games")
        return n
