"""Standard handicap stone placement (GTP ``fixed_handicap``), as GNU Go places them.

Stones sit on the third line on boards below 12x12 and on the fourth line from 12x12 up.
Boards smaller than 7x7 take no fixed handicap; 7x7 and even sizes take at most 4 (they
have no centre point or no side midpoints); odd sizes from 9x9 take 2 to 9.
"""

from __future__ import annotations

MIN_STONES = 2
MAX_STONES = 9


def max_fixed_handicap(size: int) -> int:
    """The most fixed handicap stones a ``size`` board takes (0 below 7x7)."""
    if size < 7:
        return 0
    if size == 7 or size % 2 == 0:
        return 4
    return MAX_STONES


def fixed_handicap_points(size: int, stones: int) -> list[int]:
    """Flat indices of the standard placement of ``stones`` stones, in board order (top
    row first). Raises ``ValueError`` naming the count when the board cannot take it."""
    top = max_fixed_handicap(size)
    if not MIN_STONES <= stones <= top:
        if top == 0:
            raise ValueError(f"a {size}x{size} board takes no fixed handicap, got {stones}")
        raise ValueError(
            f"fixed handicap on {size}x{size} must be {MIN_STONES} to {top} stones, "
            f"got {stones}")
    edge = 3 if size >= 12 else 2  # 0-based line of the star points
    low, mid, high = edge, size // 2, size - 1 - edge

    def point(col: int, row_from_bottom: int) -> int:
        return (size - 1 - row_from_bottom) * size + col

    corners = [point(low, low), point(high, high), point(low, high), point(high, low)]
    if stones <= 4:
        chosen = corners[:stones]
    else:
        chosen = list(corners)
        if stones in (6, 7, 8, 9):
            chosen += [point(low, mid), point(high, mid)]
        if stones in (8, 9):
            chosen += [point(mid, low), point(mid, high)]
        if stones % 2 == 1:
            chosen.append(point(mid, mid))
    return sorted(chosen)
