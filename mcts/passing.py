"""When a player passes: the one rule shared by self-play, gates, the arena and the GTP engine.

Area (Tromp-Taylor) scoring counts every stone on the board as alive, so passing is a
decision about the count, not about territory:

* ``forced_pass``: the player to move passes without searching when no point is legal, or
  when the opponent has just passed and the count (komi included) already wins for the
  player to move (the second pass ends the game with that count).
* ``pass_refused``: the search's pass guard (``SearchConfig.pass_guard``): pass is not a
  candidate at the root while the count says the player to move is losing and another legal
  move exists.

``RESIGN`` is what a player's move decision (the GTP engine's, the arena's players') returns
instead of a move to resign.

Values and scores follow the package convention: from the point of view of the player to
move (``position.score() * position.to_play > 0`` means the player to move is ahead).
"""

from __future__ import annotations

from go import Position

RESIGN = -1  # returned instead of a move (flat index, pass = N*N) to resign


def forced_pass(position: Position) -> bool:
    """True when the player to move passes without searching: no point is legal, or the
    opponent just passed and the area score already wins for the player to move."""
    if position.is_over():
        return False
    if not position.legal_moves()[: position.pass_move].any():
        return True
    return position.last_move == position.pass_move and position.score() * position.to_play > 0


def pass_refused(position: Position) -> bool:
    """True when pass must not be a candidate at the root: the player to move is behind on
    the Tromp-Taylor score and has another legal move."""
    if position.is_over():
        return False
    return position.score() * position.to_play < 0 and bool(
        position.legal_moves()[: position.pass_move].any())
