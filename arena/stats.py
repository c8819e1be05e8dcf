"""The Elo difference a match result implies, with a 95% confidence interval.

``elo(s) = -400 * log10(1 / s - 1)`` for a score fraction ``s`` (wins plus half the draws,
over games). The point estimate uses ``(score + 1/2) / (games + 1)`` so that a clean sweep
gives a large finite number instead of infinity; the interval maps the Wilson score
interval of ``s`` through the same formula, with its ends kept inside (0, 1) the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


def elo_from_score(fraction: float) -> float:
    """Elo difference of a player expected to score ``fraction`` (0 < fraction < 1)."""
    if not 0 < fraction < 1:
        raise ValueError(f"score fraction must lie strictly between 0 and 1, got {fraction}")
    return -400.0 * math.log10(1.0 / fraction - 1.0)


@dataclass(frozen=True)
class EloEstimate:
    """Elo difference of a player over its opponent: estimate and 95% interval."""

    elo: float
    low: float
    high: float


def match_elo(score: float, games: int) -> EloEstimate:
    """The Elo difference implied by scoring ``score`` points in ``games`` games."""
    if games < 1:
        raise ValueError(f"a match needs at least one game, got {games}")
    if not 0 <= score <= games:
        raise ValueError(f"score must lie in [0, games={games}], got {score}")
    floor = 0.5 / (games + 1)
    fraction = (score + 0.5) / (games + 1)
    s = score / games
    centre = (s + Z95**2 / (2 * games)) / (1 + Z95**2 / games)
    half = Z95 * math.sqrt(s * (1 - s) / games + Z95**2 / (4 * games**2)) / (1 + Z95**2 / games)
    low = min(max(centre - half, floor), 1 - floor)
    high = max(min(centre + half, 1 - floor), floor)
    return EloEstimate(elo_from_score(fraction), elo_from_score(low), elo_from_score(high))
