"""Win rates with confidence intervals and Elo differences for a two-program match.

A draw counts half a win. The interval is Wilson's score interval (it stays inside
[0, 1] and behaves at 0 or n wins); the Elo difference is ``400 * log10(p / (1 - p))``
of the win rate, with its interval taken from the win-rate interval's ends.
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


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
