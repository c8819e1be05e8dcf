"""The run directory: everything one training run makes, written atomically.

Layout::

    <run>/config.toml            the resolved RunConfig (flags and --config merged)
    <run>/state.json             counters, generation, best, Elo, gate history
    <run>/checkpoints/           ckpt-<steps>.keras + .json metadata for every candidate,
                                 learner.keras (+ .json): the learner's weights and optimizer,
                                 best: a text file holding the best checkpoint's file name
    <run>/games/<shard>/<id>.npz every finished game, written the moment it arrives
    <run>/sgf/<id>.sgf           a sample of the games as SGF
    <run>/logs/                  TensorBoard event files (driver process only)

Every write goes to a temporary file in the same folder, then ``os.replace``: a crash at
any moment leaves either the old or the new version of each file. Anything that fails to
read back raises ``RunDirError`` naming the file and what is wrong with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from go.atomic_file import write_bytes_atomic, write_text_atomic
from go.errors import ZerogoError

GAMES_PER_SHARD = 10_000
STATE_VERSION = 1


class RunDirError(ZerogoError, ValueError):
    """A run directory file that is missing, unreadable or fails validation."""


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; ``RunDirError`` naming the file when it is missing or malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunDirError(f"{path}: file is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{path}: cannot be read ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path}: not valid JSON ({exc})") from exc


# The state file: every key, its type, and its value in a fresh run.
STATE_FIELDS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "version": (int, STATE_VERSION),
    "games": (int, 0),  # finished games written to games/ (their ids are 0..games-1)
    "positions": (int, 0),  # positions in those games
    "learner_steps": (int, 0),  # training steps of the saved learner state
    "samples_trained": (int, 0),  # positions sampled by those steps
    "generation": (int, 0),  # gate matches played
    "best": (str, ""),  # file name of the best checkpoint in checkpoints/
    "best_version": (int, 0),  # promotions so far (0: the initial network)
    "best_elo": ((int, float), 0.0),  # Elo of the best relative to the initial network
    "gates": (list, []),  # one dict per gate match, oldest first
    "elapsed_seconds": ((int, float), 0.0),  # wall time of all sessions of this run
    "no_resign_games": (int, 0),  # games played with resignation disabled
    "resign_false_positives": (int, 0),  # of those, games the would-be resigner won
    "resign_would_have": (int, 0),  # of those, games where someone would have resigned
    "buffer_digest": (str, ""),  # ReplayBuffer.digest() when the state was written
    "learner_checkpoint": (str, ""),  # file in checkpoints/ holding the learner's state
    "pending_candidate": (str, ""),  # newest candidate not gated yet ("" if none)
    "sessions": (list, []),  # one dict per session of the run: start, resume, stop
}


def new_state() -> dict[str, Any]:
    """The state of a run that has not started yet."""
    return {k: (list(v) if isinstance(v, list) else v) for k, (_, v) in STATE_FIELDS.items()}


def validate_state(state: Any, where: str) -> dict[str, Any]:
    """Check a state dict read from ``where``; ``RunDirError`` naming the bad key."""
    if not isinstance(state, dict):
        raise RunDirError(f"{where}: expected a JSON object, got {type(state).__name__}")
    for key, (kind, _) in STATE_FIELDS.items():
        if key not in state:
            raise RunDirError(f"{where}: missing key {key!r}")
        value = state[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise RunDirError(f"{where}: key {key!r} has the wrong type: {value!r}")
    if state["version"] != STATE_VERSION:
        raise RunDirError(f"{where}: state version {state['version']} is not {STATE_VERSION}")
    for key in ("games", "positions", "learner_steps", "samples_trained", "generation"):
        if state[key] < 0:
            raise RunDirError(f"{where}: key {key!r} is negative: {state[key]}")
    return state


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

    @property
    def learner_checkpoint(self) -> Path:
        return self.checkpoints / "learner.keras"

    @property
    def games_dir(self) -> Path:
        return self.root / "games"

    @property
    def sgf_dir(self) -> Path:
        return self.root / "sgf"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

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
        if "/" in name or "\\" in name or name.startswith("."):
            raise RunDirError(f"{self.best_pointer}: bad checkpoint name {name!r}")
        return self.checkpoints / name

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

    # ------------------------------------------------------------------ state
    def read_state(self) -> dict[str, Any]:
        """The validated ``state.json``; ``RunDirError`` naming the file if it is bad."""
        return validate_state(read_json(self.state_path), str(self.state_path))

    def write_state(self, state: dict[str, Any]) -> None:
        validate_state(state, "state to write")
        write_json_atomic(self.state_path, state)

    # ------------------------------------------------------------------ best pointer
    def read_best(self) -> str:
        """The file name in ``checkpoints/best``, checked to exist."""
        try:
            name = self.best_pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise RunDirError(f"{self.best_pointer}: file is missing") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{self.best_pointer}: cannot be read ({exc})") from exc
        if not name.endswith(".keras"):
            raise RunDirError(f"{self.best_pointer}: expected a .keras file name, got {name!r}")
        if not self.checkpoint_path(name).is_file():
            raise RunDirError(f"{self.best_pointer}: names {name!r}, which does not exist")
        return name

    def write_best(self, name: str) -> None:
        if not self.checkpoint_path(name).is_file():
            raise RunDirError(f"cannot point best at {name!r}: no such checkpoint")
        write_text_atomic(self.best_pointer, name + "\n")

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
