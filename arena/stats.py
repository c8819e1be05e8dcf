"""Match statistics: the win rate's Wilson interval and the Elo difference a result implies.

A draw counts half a win everywhere (``points`` = wins + draws / 2).

* ``wilson_interval(points, games)``: Wilson's score interval of the win rate (it stays
  inside [0, 1] and behaves at 0 or ``games`` wins).
* ``elo_difference(rate) = 400 * log10(rate / (1 - rate))``: the formula, exact at the ends
  (``+inf`` at a rate of 1, ``-inf`` at 0).
* ``match_elo(points, games)``: the Elo difference a finished match implies, the one answer
  every match summary in the project reports (the gate, the ladder's tables, the referee's
  table). It is always finite, a clean sweep included: the estimate is the formula at
  ``(points + 1/2) / (games + 1)`` (half a virtual draw on each side), and the 95% interval
  is the formula at the ends of the Wilson interval, each end kept inside
  ``[1/2 / (games + 1), 1 - 1/2 / (games + 1)]`` the same way. So ``4/4`` gives
  ``+382 [+7, +382]`` rather than ``+inf``, and a result JSON never holds an infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the two-sided 95% normal quantile


def wilson_interval(points: float, games: int, z: float = Z_95) -> tuple[float, float]:
    """(low, high) of the win rate ``points / games`` at the confidence ``z`` gives
    (1.96: 95%). ``(0, 1)`` when no game was played."""
    if games < 0 or not 0 <= points <= games:
        raise ValueError(f"need 0 <= points <= games, got {points} of {games}")
    if games == 0:
        return 0.0, 1.0
    p = points / games
    denominator = 1 + z * z / games
    centre = (p + z * z / (2 * games)) / denominator
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / denominator
    low = 0.0 if points == 0 else max(0.0, centre - half)
    high = 1.0 if points == games else min(1.0, centre + half)
    return low, high


def elo_difference(win_rate: float) -> float:
    """Elo difference implied by a win rate in [0, 1] (+inf at 1, -inf at 0)."""
    if not 0 <= win_rate <= 1:
        raise ValueError(f"win rate must be in [0, 1], got {win_rate}")
    if win_rate == 1:
        return math.inf
    if win_rate == 0:
        return -math.inf
    return 400 * math.log10(win_rate / (1 - win_rate))


def format_elo(elo: float) -> str:
    """``+70``, ``-12``, ``+inf``."""
    if math.isinf(elo):
        return "+inf" if elo > 0 else "-inf"
    return f"{elo:+.0f}"


@dataclass(frozen=True)
class EloEstimate:
    """Elo difference of a player over its opponent: estimate and 95% interval (finite)."""

    elo: float
    low: float
    high: float


def match_elo(points: float, games: int) -> EloEstimate:
    """The Elo difference implied by scoring ``points`` in ``games`` games (see the module
    docstring: finite, a clean sweep included)."""
    if games < 1:
        raise ValueError(f"a match needs at least one game, got {games}")
    if not 0 <= points <= games:
        raise ValueError(f"score must lie in [0, games={games}], got {points}")
    floor = 0.5 / (games + 1)
    low, high = wilson_interval(points, games)
    low = min(max(low, floor), 1 - floor)
    high = max(min(high, 1 - floor), floor)
    return EloEstimate(elo_difference((points + 0.5) / (games + 1)), elo_difference(low),
                       elo_difference(high))
