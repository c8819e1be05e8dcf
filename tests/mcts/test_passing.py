"""The one pass rule (``mcts.passing``), used by self-play, gates, the arena and the GTP
engine: pass is forced where it wins at once and refused while the count loses. Boards drawn
in ASCII."""

from __future__ import annotations

import numpy as np

from mcts import BatchedSearch, FixedPriorEvaluator, SearchConfig, forced_pass, pass_refused
from tests.mcts.ascii_boards import position

BLACK_AHEAD = [  # black 15 points, white 10 on the board
    ". . X O .",
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


def test_behind_on_the_count_the_search_never_offers_pass():
    root = position(BLACK_AHEAD, to_play=-1, komi=0.5)  # white behind, nobody passed
    assert root.score() * root.to_play < 0
    assert pass_refused(root) and not forced_pass(root)
    pass_lover = np.zeros(26, np.float32)
    pass_lover[PASS] = 1.0
    search = BatchedSearch(FixedPriorEvaluator(pass_lover), SearchConfig(num_simulations=1),
                           1, seed=0)
    search.set_root(0, root)
    search.run()
    assert not search.root_stats(0).legal[PASS]
    assert search.choose_move(0, temperature=0) != PASS


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


def test_a_drawn_count_is_neither_refused_nor_forced():
    root = _after_white_pass(BLACK_AHEAD, komi=5.0)  # 15 - 10 - 5 = 0
    assert root.score() == 0
    assert not pass_refused(root) and not forced_pass(root)
