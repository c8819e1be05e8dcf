"""Coordinates: flat index <-> GTP vertex (``"D4"``) <-> SGF point (``"dd"``).

A move is the flat index ``row * size + col`` of ``Position.board`` (row 0 is the top row)
and pass is ``size * size``.

* GTP vertex: column letter ``A``..``T`` skipping ``I``, then the row counted from the
  *bottom* (``"A1"`` is the bottom-left corner); ``"pass"``. Parsing is case-insensitive.
* SGF point: two lowercase letters, column then row, both counted from the top-left
  (``"aa"`` is the top-left corner). Pass is ``""``, and also ``"tt"`` on boards up to 19
  (``to_sgf`` writes ``""``).
"""

from __future__ import annotations

import numpy as np

MIN_SIZE = 2
MAX_SIZE = 19

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRST"
SGF_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def check_size(size: int) -> int:
    """Return ``size`` if it is a supported board size (``MIN_SIZE``..``MAX_SIZE``), else
    raise ``ValueError``."""
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
        raise ValueError(f"board size must be an integer, got {size!r}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"board size must be between {MIN_SIZE} and {MAX_SIZE}, got {size}")
    return int(size)


def _check_move(move: int, size: int) -> int:
    if isinstance(move, bool) or not hasattr(move, "__index__"):
        raise ValueError(f"move must be an integer flat index, got {move!r}")
    move = int(move)
    if not 0 <= move <= size * size:
        raise ValueError(f"move {move} is off a {size}x{size} board (0..{size * size})")
    return move


def to_gtp(move: int, size: int) -> str:
    """GTP vertex of a flat index: ``"D4"``, or ``"pass"`` for ``size * size``."""
    size = check_size(size)
    move = _check_move(move, size)
    if move == size * size:
        return "pass"
    row, col = divmod(move, size)
    return f"{GTP_COLUMNS[col]}{size - row}"


def from_gtp(text: str, size: int) -> int:
    """Flat index of a GTP vertex (``"D4"``, ``"d4"``, ``"pass"``; case-insensitive).

    Raises ``ValueError`` naming the text when it is not a vertex on a ``size`` board.
    """
    size = check_size(size)
    if not isinstance(text, str):
        raise ValueError(f"GTP vertex must be a string, got {text!r}")
    vertex = text.strip().upper()
    if vertex == "PASS":
        return size * size
    if len(vertex) < 2 or not vertex[1:].isdigit() or not vertex[1:].isascii():
        raise ValueError(f"not a GTP vertex: {text!r}")
    col = GTP_COLUMNS.find(vertex[0])
    if col < 0:
        raise ValueError(f"bad GTP column {vertex[0]!r} in {text!r} (columns skip I)")
    number = int(vertex[1:])
    if col >= size or not 1 <= number <= size:
        raise ValueError(f"GTP vertex {text!r} is off a {size}x{size} board")
    return (size - number) * size + col


def to_sgf(move: int, size: int) -> str:
    """SGF point of a flat index: ``"dd"``; pass is ``""``."""
    size = check_size(size)
    move = _check_move(move, size)
    if move == size * size:
        return ""
    row, col = divmod(move, size)
    return SGF_LETTERS[col] + SGF_LETTERS[row]


def from_sgf(text: str, size: int) -> int:
    """Flat index of an SGF point (``"dd"``); ``""`` and, on boards up to 19, ``"tt"`` are pass.

    Raises ``ValueError`` naming the text when it is not a point on a ``size`` board.
    """
    size = check_size(size)
    if not isinstance(text, str):
        raise ValueError(f"SGF point must be a string, got {text!r}")
    point = text.strip()
    if point == "" or (point == "tt" and size <= 19):
        return size * size
    if len(point) != 2:
        raise ValueError(f"not an SGF point: {text!r}")
    col = SGF_LETTERS.find(point[0])
    row = SGF_LETTERS.find(point[1])
    if col < 0 or row < 0:
        raise ValueError(f"not an SGF point: {text!r} (two lowercase letters expected)")
    if col >= size or row >= size:
        raise ValueError(f"SGF point {text!r} is off a {size}x{size} board")
    return row * size + col


def gtp_to_sgf(text: str, size: int) -> str:
    """Convert a GTP vertex to the SGF point of the same move."""
    return to_sgf(from_gtp(text, size), size)


def sgf_to_gtp(text: str, size: int) -> str:
    """Convert an SGF point to the GTP vertex of the same move."""
    return to_gtp(from_sgf(text, size), size)
