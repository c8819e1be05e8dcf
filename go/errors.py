"""The project's error root, and the errors raised by the rules.

Imports within ``go``: ``go.coords`` only (which imports nothing from the project), so that
``IllegalMove`` can name the point; nothing here is imported back by ``coords``.
"""

from __future__ import annotations

from go.coords import to_gtp


class ZerogoError(Exception):
    """Root of every error the project raises on purpose: ``except ZerogoError`` catches
    them all. Each subclass also keeps the built-in base it had (``ValueError`` for bad
    input or files, ``RuntimeError`` for failing programs) so older ``except`` clauses
    still work."""


class IllegalMove(ZerogoError, ValueError):
    """A move the rules refuse. The message names the move and the reason.

    ``move`` is the offending value, ``reason`` one of: out of range, not a move index,
    occupied, suicide, superko, game over (possibly with more detail appended).
    """

    def __init__(self, move: object, reason: str, size: int | None = None) -> None:
        self.move = move
        self.reason = reason
        where = repr(move)
        is_index = hasattr(move, "__index__") and not isinstance(move, bool)
        if size is not None and is_index and 0 <= int(move) <= size * size:  # type: ignore[call-overload]
            where = f"{to_gtp(int(move), size)} ({int(move)})"  # type: ignore[call-overload]
        super().__init__(f"illegal move {where}: {reason}")
