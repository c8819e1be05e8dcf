"""Errors raised by the rules."""

from __future__ import annotations


class IllegalMove(ValueError):
    """A move the rules refuse. The message names the move and the reason.

    ``move`` is the offending value, ``reason`` one of: out of range, not a move index,
    occupied, suicide, superko, game over.
    """

    def __init__(self, move: object, reason: str, size: int | None = None) -> None:
        self.move = move
        self.reason = reason
        where = repr(move)
        if size is not None and isinstance(move, int) and 0 <= move <= size * size:
            from go.coords import to_gtp

            where = f"{to_gtp(move, size)} ({move})"
        super().__init__(f"illegal move {where}: {reason}")
