"""When a player passes: the one rule shared by self-play, gates, the arena and the GTP engine.

Area (Tromp-Taylor) scoring counts every stone on the board as alive, so passing is a
decision about the count, not about territory. The rule is the one strong Tromp-Taylor
engines use:

* ``forced_pass``: the player to move passes without searching when no point is legal, or
  when the opponent has just passed and the count (komi included) already wins for the
  player to move (the second pass ends the game with that count).
* ``pass_refused``: the search's pass guard (``SearchConfig.pass_guard``): pass is not a
  candidate at the root only where it would lose at once, that is when the opponent has
  just passed, the count says the player to move loses, and another legal move exists. The
  player then keeps playing (capturing the dead stones that the count still credits to the
  opponent) instead of ending a game it would lose on the board. Anywhere else either side
  may pass: a decided game ends when the players agree it is over, not at the move cap.
  A player that looks at no reply (the network alone: the arena's ``PolicyPlayer``, the
  GTP engine with one playout) cannot see that the opponent may answer its pass with a
  pass and win the count, so for it (``sees_reply=False``) pass is refused whenever the
  count loses and another legal move exists.

Inside the search tree both players may pass freely; the tree sees that two passes end and
score the game.

``RESIGN`` is what a player's move decision (the GTP engine's, the arena's players') returns
instead of a move to resign.

Values and scores follow the package convention: from the point of view of the player to
move (``position.score() * position.to_play > 0`` means the player to move is ahead).
"""

from __future__ import annotations

from go import Position

RESIGN = -1  # returned instead of a move (flat index, pass = N*N) to resign


def _has_point(position: Position) -> bool:
    return bool(position.legal_moves()[: position.pass_move].any())


def forced_pass(position: Position) -> bool:
    """True when the player to move passes without searching: no point is legal, or the
    opponent just passed and the area score already wins for the player to move."""
    if position.is_over():
        return False
    if not _has_point(position):
        return True
    return position.last_move == position.pass_move and position.score() * position.to_play > 0


def pass_refused(position: Position, sees_reply: bool = True) -> bool:
    """True when pass must not be a candidate: passing would lose at once.

    Args:
        position: the position, the player to move about to decide.
        sees_reply: whether the decision looks at the opponent's answer. A search does (its
            tree sees that the opponent may answer a pass with a pass and win on the count),
            so for it pass loses at once only after the opponent passed: refused when the
            opponent just passed, the Tromp-Taylor count (komi included) says the player to
            move strictly loses, and another legal move exists. A player that looks at no
            reply (the network alone, one evaluation per move) must take the opponent's
            pass as certain: for it pass is refused whenever the count loses and another
            legal move exists.
    """
    if position.is_over():
        return False
    if sees_reply and position.last_move != position.pass_move:
        return False
    return position.score() * position.to_play < 0 and _has_point(position)
