"""The resign threshold, recalibrated from the resign-disabled games (as AlphaGo Zero did).

Every resign-disabled game gives two samples, one per player: ``(min_value, won)``, the
player's lowest resign value over its moves (its own point of view, see
``mcts.resignation``) and whether it won (a draw counts as not won). The newest
``ResignCalibration.window`` samples are kept (in the run state, so they survive a
resume). Once at least ``min_samples`` are there, the threshold is recomputed after each
game with ``calibrate_resign_threshold``: the highest threshold at which at most
``target`` of the players that would have resigned went on to win. It is never set above
``max_threshold`` (a young network with flat values must not resign even games it would
probably lose), and it is left unchanged when no threshold qualifies or when the new one
differs from the current one by less than ``min_change`` (so the history records real
moves, not noise).

A run whose config has no resign threshold (``None``: never resign) is not calibrated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mcts.resignation import calibrate_resign_threshold
from rundir.state import RunState
from selfplay.game_record import GameRecord

RESIGN_HISTORY = 100  # threshold changes kept in the state


@dataclass(frozen=True)
class ResignCalibration:
    """How the threshold is recalibrated (see the module docstring).

    target: the false-positive rate to stay below (``SearchConfig.
    resign_false_positive_target``); window: players kept (1000: the last 500
    resign-disabled games); min_samples: players needed before the first calibration;
    max_threshold: the highest threshold ever set; min_change: smaller moves are ignored.
    """

    target: float = 0.05
    window: int = 1000
    min_samples: int = 200
    max_threshold: float = -0.5
    min_change: float = 0.02

    def __post_init__(self) -> None:
        if not 0.0 < self.target < 1.0:
            raise ValueError(f"target must be in (0, 1), got {self.target!r}")
        if not 1 <= self.min_samples <= self.window:
            raise ValueError(f"need 1 <= min_samples <= window, got {self.min_samples} "
                             f"and {self.window}")
        if not -1.0 <= self.max_threshold <= 1.0:
            raise ValueError(f"max_threshold must be in [-1, 1], got {self.max_threshold!r}")
        if self.min_change < 0:
            raise ValueError(f"min_change must be >= 0, got {self.min_change!r}")

    def threshold(self, samples: tuple[tuple[float, bool], ...],
                  current: float) -> float | None:
        """The new threshold for ``samples`` (``None``: keep ``current``)."""
        if len(samples) < self.min_samples:
            return None
        values = [v for v, _ in samples]
        won = [w for _, w in samples]
        found = calibrate_resign_threshold(values, won, self.target)
        if found is None:
            return None
        found = round(min(found, self.max_threshold), 4)
        if abs(found - current) < self.min_change:
            return None
        return found


def player_samples(record: GameRecord) -> list[tuple[float, bool]]:
    """``(min_value, won)`` of each player of a resign-disabled game whose minimum was
    tracked (none for other games)."""
    if not record.no_resign:
        return []
    out = []
    for value, colour in ((record.min_value_black, 1), (record.min_value_white, -1)):
        if not math.isnan(value):
            out.append((round(float(value), 4), record.winner == colour))
    return out


def observe(state: RunState, record: GameRecord, calibration: ResignCalibration,
            initial: float | None) -> tuple[RunState, float | None]:
    """``state`` after game ``record`` (already counted in ``state.games``): its samples
    added, the threshold recalibrated. Returns the new state and the new threshold when
    it changed (else ``None``). ``initial``: the run config's threshold, in force until
    the first calibration; ``None`` (never resign) turns calibration off."""
    samples = player_samples(record)
    if initial is None or not samples:
        return state, None
    window = (*state.resign_samples, *samples)[-calibration.window:]
    current = initial if state.resign_threshold is None else state.resign_threshold
    new = calibration.threshold(window, current)
    if new is None:
        return state.replace(resign_samples=window), None
    history = (*state.resign_history, (state.games, new))[-RESIGN_HISTORY:]
    return state.replace(resign_samples=window, resign_threshold=new,
                         resign_history=history), new


def current_threshold(state: RunState, initial: float | None) -> float | None:
    """The threshold in force: the calibrated one, else the config's ``initial``."""
    if initial is None:
        return None
    return initial if state.resign_threshold is None else state.resign_threshold
