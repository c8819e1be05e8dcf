"""The run's state (``state.json``): counters, the best network, gate history, sessions.

``RunState`` is a frozen dataclass; ``RunState.from_json`` validates a decoded
``state.json`` (every key present, types, non-negative counters, checkpoint file names) and
raises ``RunDirError`` naming the file and the key, and ``to_json`` gives back exactly the
JSON object it was read from. A run changes its state with ``dataclasses.replace`` (or the
small helpers below) and writes it whole with ``RunDir.write_state``.

The state is the single source of truth of a run: the ``checkpoints/best`` pointer is
derived from ``RunState.best`` (written after it, repaired from it on resume).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rundir.errors import RunDirError

STATE_VERSION = 1

_NUMBER = (int, float)
_INFINITE_OK = {"elo", "elo_low", "elo_high"}  # a gate's Elo of a clean sweep may be ±inf


def check_checkpoint_name(name: str, where: str) -> str:
    """``name`` if it is a plain ``.keras`` file name (no folder, not hidden), else
    ``RunDirError`` naming ``where``."""
    if (not isinstance(name, str) or not name.endswith(".keras") or name == ".keras"
            or "/" in name or "\\" in name or name.startswith(".") or "\n" in name
            or "\0" in name):
        raise RunDirError(f"{where}: bad checkpoint name {name!r} (expected a plain .keras "
                          f"file name)")
    return name


def _check(where: str, key: str, value: Any, kind: type | tuple[type, ...],
           minimum: float | None = None) -> Any:
    if isinstance(value, bool) and kind is not bool:
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise RunDirError(f"{where}: key {key!r} has the wrong type: {value!r}")
    if isinstance(value, float) and (math.isnan(value) or (
            math.isinf(value) and key not in _INFINITE_OK)):
        raise RunDirError(f"{where}: key {key!r} is not finite: {value!r}")
    if minimum is not None and value < minimum:
        raise RunDirError(f"{where}: key {key!r} is negative: {value!r}")
    return value


def _read_fields(cls: type, obj: Any, where: str, open_schema: bool
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check ``obj``'s keys against ``cls._SPEC``; returns (typed fields, other keys)."""
    if not isinstance(obj, dict):
        raise RunDirError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    values: dict[str, Any] = {}
    for key, (kind, minimum, required) in cls._SPEC.items():  # type: ignore[attr-defined]
        if key not in obj:
            if required:
                raise RunDirError(f"{where}: missing key {key!r}")
            continue
        values[key] = _check(where, key, obj[key], kind, minimum)
    others = {k: v for k, v in obj.items() if k not in cls._SPEC}  # type: ignore[attr-defined]
    if others and not open_schema:
        raise RunDirError(f"{where}: unknown key {sorted(others)[0]!r}")
    return values, others


def _optional_json(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in names if getattr(obj, k) is not None}


def _check_precision_record(record: dict[str, Any], where: str) -> None:
    """``RunDirError`` unless ``record`` maps role names to objects whose ``precision`` is
    one of ``PRECISIONS``."""
    from network.dtype_policy import PRECISIONS

    for role, choice in record.items():
        if not isinstance(choice, dict) or choice.get("precision") not in PRECISIONS:
            raise RunDirError(f"{where}: role {role!r} needs an object whose 'precision' is "
                              f"one of {', '.join(PRECISIONS)}, got {choice!r}")


@dataclass(frozen=True)
class Session:
    """One session of a run (one ``python -m selfplay.run``), as ``state.json`` keeps it.

    started/stopped: Unix times (s); games_at_start/games_at_stop: the run's game count
    then; resume_digest/stop_digest: ``ReplayBuffer.digest()`` of the buffer rebuilt at the
    start and held at the stop; elapsed_at_start: the run's ``elapsed_seconds`` (training
    seconds, all sessions) when it began, so that a session killed before it is measured
    (``arena.ladder_entrants.session_lengths``). Keys a session never reached are absent
    (``None``).
    precision: per role (``"learner"``, ``"inference-0"``, ...), the precision its network
    runs in this session, as ``network.precision.PrecisionChoice.to_dict()`` (``precision``,
    ``forced``, ``device``, ``rates``, ``reason``, ...).
    """

    started: float
    resumed: bool | None = None
    games_at_start: int | None = None
    generation_at_start: int | None = None
    resume_digest: str | None = None
    stopped: float | None = None
    reason: str | None = None
    games_at_stop: int | None = None
    stop_digest: str | None = None
    precision: dict[str, dict[str, Any]] | None = None
    elapsed_at_start: float | None = None

    _SPEC = {"started": (_NUMBER, None, True), "resumed": (bool, None, False),
             "games_at_start": (int, 0, False), "generation_at_start": (int, 0, False),
             "resume_digest": (str, None, False), "stopped": (_NUMBER, None, False),
             "reason": (str, None, False), "games_at_stop": (int, 0, False),
             "stop_digest": (str, None, False), "precision": (dict, None, False),
             "elapsed_at_start": (_NUMBER, 0, False)}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Session:
        values, _ = _read_fields(cls, obj, where, open_schema=False)
        if "precision" in values:
            _check_precision_record(values["precision"], f"{where}: key 'precision'")
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return _optional_json(self, tuple(self._SPEC))


@dataclass(frozen=True)
class GateRecord:
    """One gate match, candidate against the best, as ``state.json`` keeps it.

    generation: the gate's number (1-based); candidate/best: checkpoint file names;
    promoted: the candidate became the best; time: Unix time (s) of the result. ``wins``,
    ``losses``, ``draws`` and ``games`` count the candidate's games; ``elo`` (and its
    interval ``elo_low``/``elo_high``) is the candidate's Elo relative to the best.
    ``evaluations``: network evaluations the gate cost (both sides); ``gate_cost_share``:
    those divided by the self-play evaluations of one generation (the positions the
    learner's pace asks per generation times the evaluations per move self-play spent).
    ``report`` holds the match report's other keys, kept as they were written.
    """

    generation: int
    candidate: str
    best: str
    promoted: bool
    time: float | None = None
    games: int | None = None
    wins: int | None = None
    losses: int | None = None
    draws: int | None = None
    win_rate: float | None = None
    elo: float | None = None
    elo_low: float | None = None
    elo_high: float | None = None
    evaluations: int | None = None
    gate_cost_share: float | None = None
    report: tuple[tuple[str, Any], ...] = ()

    _SPEC = {"generation": (int, 0, True), "candidate": (str, None, True),
             "best": (str, None, True), "promoted": (bool, None, True),
             "time": (_NUMBER, None, False), "games": (int, 0, False),
             "wins": (int, 0, False), "losses": (int, 0, False), "draws": (int, 0, False),
             "win_rate": (_NUMBER, 0, False), "elo": (_NUMBER, None, False),
             "elo_low": (_NUMBER, None, False), "elo_high": (_NUMBER, None, False),
             "evaluations": (int, 0, False), "gate_cost_share": (_NUMBER, 0, False)}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> GateRecord:
        values, others = _read_fields(cls, obj, where, open_schema=True)
        check_checkpoint_name(values["candidate"], f"{where}: key 'candidate'")
        return cls(**values, report=tuple(sorted(others.items())))

    @classmethod
    def from_report(cls, report: Mapping[str, Any], *, generation: int, candidate: str,
                    best: str, time: float) -> GateRecord:
        """The record of a gatekeeper's match report (a JSON-able dict)."""
        obj = dict(report, generation=generation, candidate=candidate, best=best, time=time)
        return cls.from_json(obj, f"gate {generation} report")

    def to_json(self) -> dict[str, Any]:
        names = tuple(k for k in self._SPEC)
        return {**dict(self.report), **_optional_json(self, names)}


_COUNTER = (int, 0, True)


@dataclass(frozen=True)
class RunState:
    """Everything a restart needs to resume a run (``state.json``; see the module doc).

    Counters are totals over every session of the run. ``best``, ``learner_checkpoint``
    and ``pending_candidate`` are file names in ``checkpoints/`` (``""``: none yet).
    ``gate_elo_sum`` adds up the Elo estimates of the promoting gates: it is NOT the best
    network's Elo relative to the initial one. Each gate's estimate is noisy and only the
    candidates that scored well are promoted, so the sum is biased upward (the more, the
    noisier the gates); ``arena``'s ladder rates checkpoints honestly. State files written
    before the rename hold it as ``best_elo``, which loads as ``gate_elo_sum``.

    Resignation (``selfplay.resign_calibration``): ``resign_threshold`` is the calibrated
    threshold (``None``: not calibrated yet, the run config's applies); ``resign_history``
    holds its changes as ``(games, threshold)`` pairs, oldest first (the newest
    ``RESIGN_HISTORY`` kept); ``resign_samples`` the ``(min_value, won)`` pairs of the
    players of the most recent resign-disabled games, oldest first. These three keys are
    optional in ``state.json`` (absent while empty), so older state files still load.
    """

    version: int = STATE_VERSION
    games: int = 0  # finished games written to games/ (their ids are 0..games-1)
    positions: int = 0  # positions in those games
    learner_steps: int = 0  # training steps of the saved learner state
    samples_trained: int = 0  # positions sampled by those steps
    generation: int = 0  # gate matches played
    best: str = ""  # file name of the best checkpoint in checkpoints/
    best_version: int = 0  # promotions so far (0: the initial network)
    gate_elo_sum: float = 0.0  # sum of promoting gates' Elo estimates (biased upward)
    gates: tuple[GateRecord, ...] = ()  # oldest first
    elapsed_seconds: float = 0.0  # wall time of all sessions of this run
    no_resign_games: int = 0  # games played with resignation disabled
    resign_false_positives: int = 0  # of those, games the would-be resigner won
    resign_would_have: int = 0  # of those, games where someone would have resigned
    buffer_digest: str = ""  # ReplayBuffer.digest() when the state was written
    learner_checkpoint: str = ""  # file in checkpoints/ holding the learner's state
    pending_candidate: str = ""  # newest candidate not gated yet
    sessions: tuple[Session, ...] = field(default=())  # oldest first
    resign_threshold: float | None = None
    resign_history: tuple[tuple[int, float], ...] = ()
    resign_samples: tuple[tuple[float, bool], ...] = ()

    _SPEC = {"version": (int, None, True), "games": _COUNTER, "positions": _COUNTER,
             "learner_steps": _COUNTER, "samples_trained": _COUNTER,
             "generation": _COUNTER, "best": (str, None, True),
             "best_version": _COUNTER, "gate_elo_sum": (_NUMBER, None, True),
             "gates": (list, None, True), "elapsed_seconds": (_NUMBER, 0, True),
             "no_resign_games": _COUNTER, "resign_false_positives": _COUNTER,
             "resign_would_have": _COUNTER, "buffer_digest": (str, None, True),
             "learner_checkpoint": (str, None, True), "pending_candidate": (str, None, True),
             "sessions": (list, None, True), "resign_threshold": (_NUMBER, None, False),
             "resign_history": (list, None, False), "resign_samples": (list, None, False)}
    _OMITTED_WHEN_EMPTY = ("resign_threshold", "resign_history", "resign_samples")

    # ------------------------------------------------------------------ JSON
    @classmethod
    def from_json(cls, obj: Any, where: str) -> RunState:
        """Validate a decoded ``state.json`` read from ``where`` (``RunDirError`` naming
        ``where`` and the key). The key ``best_elo`` of older files is read as
        ``gate_elo_sum``."""
        if isinstance(obj, dict) and "best_elo" in obj and "gate_elo_sum" not in obj:
            obj = {("gate_elo_sum" if k == "best_elo" else k): v for k, v in obj.items()}
        values, _ = _read_fields(cls, obj, where, open_schema=False)
        if values["version"] != STATE_VERSION:
            raise RunDirError(f"{where}: state version {values['version']} is not "
                              f"{STATE_VERSION}")
        for key in ("best", "learner_checkpoint", "pending_candidate"):
            if values[key]:
                check_checkpoint_name(values[key], f"{where}: key {key!r}")
        values["gates"] = tuple(GateRecord.from_json(g, f"{where}: gates[{i}]")
                                for i, g in enumerate(values["gates"]))
        values["sessions"] = tuple(Session.from_json(s, f"{where}: sessions[{i}]")
                                   for i, s in enumerate(values["sessions"]))
        if "resign_threshold" in values and not -1.0 <= values["resign_threshold"] <= 1.0:
            raise RunDirError(f"{where}: key 'resign_threshold' must be in [-1, 1], got "
                              f"{values['resign_threshold']!r}")
        values["resign_history"] = _pairs(values.get("resign_history", []), where,
                                          "resign_history", int, _NUMBER)
        values["resign_samples"] = _pairs(values.get("resign_samples", []), where,
                                          "resign_samples", _NUMBER, bool)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``state.json`` holds (``from_json``'s inverse)."""
        obj = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        obj["gates"] = [g.to_json() for g in self.gates]
        obj["sessions"] = [s.to_json() for s in self.sessions]
        obj["resign_history"] = [list(p) for p in self.resign_history]
        obj["resign_samples"] = [list(p) for p in self.resign_samples]
        for key in self._OMITTED_WHEN_EMPTY:
            if obj[key] is None or obj[key] == []:
                del obj[key]
        return obj

    def __getitem__(self, key: str) -> Any:
        """Read-only view of the JSON form: ``state["games"]`` is ``to_json()["games"]``
        (for code that reads ``state.json``'s format, such as run reports)."""
        if key not in self._SPEC:
            raise KeyError(key)
        return self.to_json().get(key)

    # ------------------------------------------------------------------ changes
    def replace(self, **changes: Any) -> RunState:
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def session(self) -> Session:
        """The newest session (``RunDirError`` when there is none)."""
        if not self.sessions:
            raise RunDirError("the run state holds no session")
        return self.sessions[-1]

    def with_session(self, session: Session) -> RunState:
        """A copy whose newest session is ``session`` (replacing the newest one)."""
        return self.replace(sessions=(*self.sessions[:-1], session))

    def add_session(self, session: Session) -> RunState:
        return self.replace(sessions=(*self.sessions, session))

    def add_gate(self, gate: GateRecord) -> RunState:
        return self.replace(gates=(*self.gates, gate))


def _pairs(items: list, where: str, key: str, first: type | tuple[type, ...],
           second: type | tuple[type, ...]) -> tuple[tuple[Any, Any], ...]:
    """``items`` (a JSON list of two-element lists) as a tuple of checked pairs."""
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, list) or len(item) != 2:
            raise RunDirError(f"{where}: {key}[{i}] must be a pair, got {item!r}")
        out.append((_check(where, f"{key}[{i}][0]", item[0], first),
                    _check(where, f"{key}[{i}][1]", item[1], second)))
    return tuple(out)


def new_state() -> dict[str, Any]:
    """The JSON form of the state of a run that has not started yet (``RunState()``)."""
    return RunState().to_json()


def as_state(state: RunState | Mapping[str, Any], where: str) -> RunState:
    """``state`` itself, or the ``RunState`` of a JSON-form mapping (validated)."""
    if isinstance(state, RunState):
        return state
    return RunState.from_json(dict(state), where)
