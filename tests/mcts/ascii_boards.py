"""Positions drawn as ASCII boards for the search tests: ``X`` black, ``O`` white, ``.``
empty, one row per string (row 0 at the top), stones separated by spaces."""

from __future__ import annotations

import go


def position(rows: list[str], to_play: int = 1, komi: float = 0.5,
             max_moves: int | None = None) -> go.Position:
    """The position drawn by ``rows`` with ``to_play`` to move."""
    size = len(rows)
    black, white = [], []
    for r, row in enumerate(rows):
        cells = row.split()
        if len(cells) != size:
            raise ValueError(f"row {r} has {len(cells)} points, expected {size}: {row!r}")
        for c, ch in enumerate(cells):
            if ch == "X":
                black.append(r * size + c)
            elif ch == "O":
                white.append(r * size + c)
            elif ch != ".":
                raise ValueError(f"unknown point {ch!r} in row {r}")
    return go.Position.setup(size, komi, black=black, white=white, to_play=to_play,
                             max_moves=max_moves)

