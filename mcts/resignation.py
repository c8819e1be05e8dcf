"""Calibrating the resign threshold on games that were not allowed to resign.

AlphaGo Zero keeps the false-positive rate of resignation (games a player would have
resigned but went on to win) below 5%. A game loop measures it like this: in the games
where ``BatchedSearch.resign_disabled(g)`` is true, it keeps for each player the minimum
of ``BatchedSearch.resign_value(g)`` over the player's moves; when the game ends it records
``(min_value, won)`` per player. A player would have resigned at threshold ``t`` iff
``min_value < t``. Values are from the point of view of that player (to move when measured).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def resign_false_positive_rate(
    min_values: Sequence[float], won: Sequence[bool], threshold: float
) -> float:
    """Share of the players who would have resigned at ``threshold`` but won.

    ``min_values[i]``: player i's lowest resign value in a resign-disabled game;
    ``won[i]``: whether that player won. Returns 0.0 when nobody would have resigned.
    """
    values, wins = _check(min_values, won)
    would = values < threshold
    if not would.any():
        return 0.0
    return float(wins[would].mean())


def calibrate_resign_threshold(
    min_values: Sequence[float], won: Sequence[bool], target: float = 0.05,
    min_resigned: int = 1,
) -> float | None:
    """The highest threshold whose false-positive rate is at most ``target``.

    Only thresholds at which at least ``min_resigned`` players would have resigned count.
    Returns ``None`` when no threshold qualifies (then keep resignation off or lower it).
    The returned threshold lies halfway between the last value it resigns and the next one.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target!r}")
    values, wins = _check(min_values, won)
    order = np.argsort(values, kind="stable")
    values = values[order]
    wins = wins[order]
    best = None
    resigned = np.arange(1, len(values) + 1)
    rates = np.cumsum(wins) / resigned
    for i in range(len(values)):
        # a threshold just above values[i] resigns every player with a value <= values[i]
        if i + 1 < len(values) and values[i + 1] == values[i]:
            continue
        if resigned[i] >= min_resigned and rates[i] <= target:
            best = i
    if best is None:
        return None
    upper = values[best + 1] if best + 1 < len(values) else min(1.0, values[best] + 0.02)
    return float(min(1.0, (values[best] + upper) / 2))


def _check(min_values: Sequence[float], won: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(min_values, np.float64)
    wins = np.asarray(won, np.bool_)
    if values.ndim != 1 or values.shape != wins.shape:
        raise ValueError(f"min_values and won must be 1-D and of equal length, got shapes "
                         f"{values.shape} and {wins.shape}")
    if not np.isfinite(values).all():
        raise ValueError("min_values must be finite numbers")
    return values, wins
