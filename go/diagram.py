"""ASCII board diagrams: build a ``Position`` from a picture, and draw one.

A diagram has one line per row, top row first; ``X`` is black, ``O`` white, ``.`` (or
``+``) empty; spaces are ignored, as are blank lines and a common indentation::

    . X O .
    X O . O
    . X O .
    . . . .
"""

from __future__ import annotations

from go.position import Position

_BLACK = "Xx#@"
_WHITE = "Oo"
_EMPTY = ".+"


def parse_diagram(
    text: str,
    komi: float = 0.0,
    to_play: int = 1,
    max_moves: int | None = None,
) -> Position:
    """A root ``Position`` (via ``Position.setup``) holding the stones drawn in ``text``.

    Raises ``ValueError`` naming the offending row or character when the diagram is not a
    square of X/O/. characters between 2x2 and 19x19.
    """
    rows = [line.replace(" ", "") for line in text.strip("\n").splitlines()]
    rows = [row for row in rows if row]
    size = len(rows)
    for r, row in enumerate(rows):
        if len(row) != size:
            raise ValueError(f"diagram row {r + 1} {row!r} has {len(row)} points; a "
                             f"{size}-row diagram needs {size} per row")
    black, white = [], []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch in _BLACK:
                black.append(r * size + c)
            elif ch in _WHITE:
                white.append(r * size + c)
            elif ch not in _EMPTY:
                raise ValueError(f"diagram row {r + 1} has {ch!r}; use X, O or .")
    return Position.setup(size, komi, black, white, to_play, max_moves=max_moves)


def draw(position: Position) -> str:
    """The diagram of ``position``'s board (the inverse of ``parse_diagram``)."""
    return str(position)
