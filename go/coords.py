"""Coordinates: flat index <-> GTP vertex (``"D4"``) <-> SGF point (``"dd"``).

Placeholder minimal version; the full module with validation replaces it.
"""

from __future__ import annotations

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRST"


def to_gtp(move: int, size: int) -> str:
    """GTP vertex of a flat index (pass = size*size -> "pass")."""
    if move == size * size:
        return "pass"
    row, col = divmod(move, size)
    return f"{GTP_COLUMNS[col]}{size - row}"
