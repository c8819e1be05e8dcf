"""The ladder's results, one JSON file per pairing, written atomically and reused.

``<run>/ladder/results/<a>--<b>.json`` holds every game player ``a`` played against player
``b``::

    {"version": 1, "a": "...", "b": "...", "a_spec": {...}, "b_spec": {...},
     "games": [{"a_colour": 1, "winner": -1, "result": "W+3.5", "moves": 41,
                "reason": "counted"}, ...]}

The specs say what each player is (its kind, checkpoint file and SHA-256, playouts, GNU Go
level, ...); stored games are reused only while both specs are unchanged, so a rerun of
the ladder plays only the games still missing. A file that fails validation is refused
with a ``LadderStoreError`` naming it and the problem, never half-read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arena.match_loop import GameOutcome
from go.errors import ZerogoError
from rundir.run_dir import RunDirError, read_json, write_json_atomic

STORE_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class LadderStoreError(ZerogoError, ValueError):
    """A results file that cannot be used (malformed, or for other players)."""


def check_player_name(name: str) -> str:
    """A player name usable in a file name: letters, digits and ``_.+-``."""
    if not isinstance(name, str) or not _NAME.match(name) or "--" in name:
        raise ValueError(f"player name must be letters, digits and _.+- without '--', "
                         f"got {name!r}")
    return name


@dataclass
class PairingRecord:
    """The stored games of ``a`` against ``b`` (outcomes from ``a``'s side)."""

    a: str
    b: str
    a_spec: dict[str, Any]
    b_spec: dict[str, Any]
    games: list[GameOutcome] = field(default_factory=list)

    @property
    def played(self) -> int:
        return len(self.games)

    @property
    def a_points(self) -> float:
        """``a``'s wins plus half the draws."""
        return sum(g.a_points for g in self.games)

    def next_colour(self) -> int:
        """``a``'s colour in the next game (+1 black): black unless ``a`` already had black
        more often than white, so the colours stay balanced (games are stored in the order
        they ended, which need not alternate)."""
        black = sum(1 for g in self.games if g.a_colour == 1)
        return 1 if black <= self.played - black else -1

    def to_json(self) -> dict[str, Any]:
        return {"version": STORE_VERSION, "a": self.a, "b": self.b, "a_spec": self.a_spec,
                "b_spec": self.b_spec, "games": [g.to_dict() for g in self.games]}


class LadderStore:
    """The pairing files under ``root`` (``<run>/ladder/results``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, a: str, b: str) -> Path:
        """The file of the pairing ``a`` against ``b``."""
        return self.root / f"{check_player_name(a)}--{check_player_name(b)}.json"

    def load(self, a: str, b: str, a_spec: dict[str, Any], b_spec: dict[str, Any]
             ) -> PairingRecord:
        """The stored games of ``a`` against ``b`` (none when the file does not exist).

        Raises ``LadderStoreError`` when the file is malformed or was written for players
        with other specs (delete the file to replay the pairing).
        """
        path = self.path(a, b)
        if not path.exists():
            return PairingRecord(a, b, dict(a_spec), dict(b_spec))
        try:
            data = read_json(path)
        except RunDirError as exc:
            raise LadderStoreError(str(exc)) from None
        record = parse_record(data, str(path))
        if (record.a, record.b) != (a, b):
            raise LadderStoreError(f"{path}: holds {record.a} against {record.b}, expected "
                                   f"{a} against {b}")
        for who, stored, now in (("a", record.a_spec, a_spec), ("b", record.b_spec, b_spec)):
            if stored != now:
                changed = sorted(k for k in set(stored) | set(now)
                                 if stored.get(k) != now.get(k))
                raise LadderStoreError(
                    f"{path}: player {getattr(record, who)} has changed since these games "
                    f"were played ({', '.join(changed)} differ: stored "
                    f"{ {k: stored.get(k) for k in changed} }, now "
                    f"{ {k: now.get(k) for k in changed} }); delete the file to replay it")
        return record

    def save(self, record: PairingRecord) -> Path:
        """Write ``record`` atomically; returns its path."""
        path = self.path(record.a, record.b)
        write_json_atomic(path, record.to_json())
        return path

    def records(self) -> list[PairingRecord]:
        """Every stored pairing, in file-name order."""
        out = []
        for path in sorted(self.root.glob("*.json")):
            try:
                data = read_json(path)
            except RunDirError as exc:
                raise LadderStoreError(str(exc)) from None
            out.append(parse_record(data, str(path)))
        return out


def parse_record(data: Any, where: str) -> PairingRecord:
    """A ``PairingRecord`` from parsed JSON; ``LadderStoreError`` naming ``where``."""
    if not isinstance(data, dict):
        raise LadderStoreError(f"{where}: expected a JSON object, got {type(data).__name__}")
    keys = {"version", "a", "b", "a_spec", "b_spec", "games"}
    if set(data) != keys:
        raise LadderStoreError(f"{where}: expected the keys {sorted(keys)}, got "
                               f"{sorted(data)}")
    if data["version"] != STORE_VERSION:
        raise LadderStoreError(f"{where}: version {data['version']!r} is not {STORE_VERSION}")
    for key in ("a", "b"):
        try:
            check_player_name(data[key])
        except ValueError as exc:
            raise LadderStoreError(f"{where}: {key}: {exc}") from None
    for key in ("a_spec", "b_spec"):
        if not isinstance(data[key], dict):
            raise LadderStoreError(f"{where}: {key} must be an object, got {data[key]!r}")
    if not isinstance(data["games"], list):
        raise LadderStoreError(f"{where}: games must be a list, got {data['games']!r}")
    games = []
    for i, game in enumerate(data["games"]):
        try:
            games.append(GameOutcome.from_dict(game))
        except (TypeError, ValueError) as exc:
            raise LadderStoreError(f"{where}: game {i}: {exc}") from None
    return PairingRecord(data["a"], data["b"], data["a_spec"], data["b_spec"], games)
