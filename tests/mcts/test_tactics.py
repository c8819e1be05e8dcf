"""Known-value evaluators and the rules pick the right move on tiny boards, with or without
batching and virtual loss."""

import numpy as np
import pytest

from mcts import AreaEvaluator, BatchedSearch, SearchConfig, UniformEvaluator
from tests.mcts.ascii_boards import position

# Black to move, komi 2.5: black is behind by 1.5 unless it captures the white stone at
# 0,2 by playing 0,3 (flat 3); otherwise white connects there and wins.
CAPTURE = [
    ". X O . .",
    ". X X O .",
    ". X O O .",
    ". X X O .",
    ". X X O .",
]
CAPTURE_MOVE = 3

# Black to move, komi 0.5: the two black stones at the top left have one liberty (0,2);
# extending there (flat 2) saves them, anything else loses them and the game.
SAVE = [
    "X X . . X",
    "O O . X .",
    "X . . . X",
    "X O O . .",
    ". O O . .",
]
SAVE_MOVE = 2

CASES = [(CAPTURE, 2.5, CAPTURE_MOVE), (SAVE, 0.5, SAVE_MOVE)]
BATCHING = [(1, 1), (3, 1), (4, 8)]  # (games, leaves per tree)


@pytest.mark.parametrize("rows, komi, best", CASES, ids=["capture", "save"])
@pytest.mark.parametrize("games, leaves", BATCHING)
def test_area_evaluator_finds_the_move(rows, komi, best, games, leaves):
    root = position(rows, komi=komi)
    search = BatchedSearch(AreaEvaluator(5, komi),
                           SearchConfig(num_simulations=400, leaves_per_tree=leaves), games,
                           seed=1)
    for g in range(games):
        search.set_root(g, root)
    search.run()
    for g in range(games):
        assert search.visit_counts(g).sum() == 400
        assert search.choose_move(g, temperature=0) == best
        assert search.principal_variation(g)[0] == best
    stats = search.root_stats(0)
    others = np.delete(stats.q, best)
    assert stats.q[best] > np.nanmax(others)


@pytest.mark.parametrize("rows, komi, best", CASES, ids=["capture", "save"])
@pytest.mark.parametrize("games, leaves", BATCHING)
def test_move_limit_scores_leaves_by_the_rules(rows, komi, best, games, leaves):
    # The game ends two moves from now: the search must find the only winning move with
    # an evaluator that knows nothing, from the Tromp-Taylor results alone.
    root = position(rows, komi=komi, max_moves=2)
    search = BatchedSearch(UniformEvaluator(5),
                           SearchConfig(num_simulations=1500, leaves_per_tree=leaves), games)
    for g in range(games):
        search.set_root(g, root)
    search.run()
    for g in range(games):
        assert search.choose_move(g, temperature=0) == best
    stats = search.root_stats(0)
    assert stats.q[best] > 0.95  # a win for black
    assert np.nanmax(np.delete(stats.q, best)) < 0.0
    # at the leaves, two moves on, the rules have the last word
    reply = int(np.argmax(search.visit_counts(0, [best])))
    assert search.root_stats(0, [best, reply]).value == pytest.approx(
        float(np.sign(root.play(best).play(reply).score())))


def test_virtual_loss_spreads_the_leaves_of_one_step():
    sizes = []

    class Counting(UniformEvaluator):
        def evaluate(self, boards, to_play, legal):
            sizes.append(len(boards))
            return super().evaluate(boards, to_play, legal)

    search = BatchedSearch(Counting(5), SearchConfig(num_simulations=64, leaves_per_tree=8), 4)
    for g in range(4):
        search.set_root(g, position(CAPTURE, komi=2.5))
    search.run()
    assert sizes[0] == 4  # the four roots, in one call
    assert max(sizes) <= 32
    assert np.mean(sizes[1:]) >= 24  # few collisions: virtual loss sends leaves apart
    assert all(search.visit_counts(g).sum() == 64 for g in range(4))
