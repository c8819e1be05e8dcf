"""The one pass rule (``mcts.passing``): pass is refused only where it would lose at once,
forced where it wins at once; everywhere else a side may pass. Boards drawn in ASCII."""

from __future__ import annotations

import numpy as np

from mcts import (
    AreaEvaluator,
    BatchedSearch,
    FixedPriorEvaluator,
    SearchConfig,
    forced_pass,
    pass_refused,
)
from tests.mcts.ascii_boards import position

BLACK_AHEAD = [  # black 15 points, white 10 on the board
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
]
DEAD_WHITE_STONE = [  # the white stone in black's area makes the left side neutral
    "O . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
]
PASS = 25


def _after_white_pass(rows: list[str], komi: float):
    return position(rows, to_play=-1, komi=komi).play(PASS)


def test_behind_after_a_pass_the_pass_is_refused_and_not_forced():
    root = _after_white_pass(BLACK_AHEAD, komi=7.5)
    assert root.score() < 0 and root.to_play == 1
    assert pass_refused(root) and not forced_pass(root)


def test_ahead_after_a_pass_the_pass_is_forced():
    root = _after_white_pass(BLACK_AHEAD, komi=0.5)
    assert root.score() > 0
    assert forced_pass(root) and not pass_refused(root)


def test_behind_without_a_pass_before_a_side_may_pass():
    # white to move, behind on the board, black did not pass: passing is allowed (the game
    # is not over after one pass), so a decided game can end instead of running to the cap
    root = position(BLACK_AHEAD, to_play=-1, komi=0.5)
    assert root.score() * root.to_play < 0
    assert not pass_refused(root) and not forced_pass(root)
    pass_lover = np.zeros(26, np.float32)
    pass_lover[PASS] = 1.0
    search = BatchedSearch(FixedPriorEvaluator(pass_lover), SearchConfig(num_simulations=1),
                           1, seed=0)
    search.set_root(0, root)
    search.run()
    assert search.root_stats(0).legal[PASS]
    assert search.choose_move(0, temperature=0) == PASS


def test_no_legal_point_forces_a_pass():
    full = position([
        "X X X X X",
        "X X X X X",
        "X X . X X",
        "X X X X X",
        "X X X X .",
    ], to_play=-1)
    assert not full.legal_moves()[:PASS].any()
    assert forced_pass(full) and not pass_refused(full)


def test_a_drawn_count_after_a_pass_is_not_refused():
    root = _after_white_pass(BLACK_AHEAD, komi=5.0)  # 15 - 10 - 5 = 0
    assert root.score() == 0
    assert not pass_refused(root) and not forced_pass(root)


def test_the_winner_captures_dead_stones_when_the_count_needs_it():
    # Black is winning in fact but behind on the count while the dead white stone stands:
    # after white's pass, black may not pass; black captures, then the game ends by passes
    # with black ahead, long before the move cap.
    root = _after_white_pass(DEAD_WHITE_STONE, komi=0.5)
    assert root.score() < 0 and pass_refused(root)
    search = BatchedSearch(AreaEvaluator(5, komi=0.5), SearchConfig(num_simulations=200), 1,
                           seed=0)
    pos = root
    search.set_root(0, pos)
    while not pos.is_over() and pos.move_number < 40:
        search.run()
        move = PASS if forced_pass(pos) else search.choose_move(0, temperature=0)
        assert not (move == PASS and pass_refused(pos))
        pos = pos.play(move)
        search.advance(0, move)
    assert pos.is_over() and pos.passes >= 2
    assert pos.board[0, 0] != -1  # the dead stone was captured
    assert pos.score() > 0  # and black wins the count
