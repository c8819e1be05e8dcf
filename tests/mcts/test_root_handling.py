"""Noise, tree reuse, seeds, temperature, passes and errors at the root."""

import numpy as np
import pytest

import go
from mcts import (
    BatchedSearch,
    FixedPriorEvaluator,
    RandomValueEvaluator,
    SearchConfig,
    UniformEvaluator,
)
from tests.mcts.ascii_boards import position


def _search(config: SearchConfig, games: int = 1, seed: int | None = 0, size: int = 9,
            evaluator=None) -> BatchedSearch:
    evaluator = evaluator or RandomValueEvaluator(size, seed=7)
    return BatchedSearch(evaluator, config, games, seed=seed)


# ---------------------------------------------------------------- noise
def test_no_noise_unless_asked():
    start = go.Position.new(9).play(40)
    search = _search(SearchConfig(num_simulations=50), evaluator=UniformEvaluator(9))
    search.set_root(0, start)
    search.run()
    priors = search.root_stats(0).priors
    legal = start.legal_moves()  # pass included: black did not pass, so white may
    np.testing.assert_allclose(priors, legal / legal.sum(), rtol=1e-6)


def test_noise_only_on_legal_moves_once_per_root_and_seeded():
    start = go.Position.new(9).play(40)
    config = SearchConfig(num_simulations=50, add_noise=True)
    runs = []
    for seed in (1, 1, 2):
        search = _search(config, seed=seed, evaluator=UniformEvaluator(9))
        search.set_root(0, start)
        search.run()
        priors = search.root_stats(0).priors
        search.run()  # more simulations, same root: no second dose of noise
        np.testing.assert_array_equal(search.root_stats(0).priors, priors)
        runs.append(priors)
    priors = runs[0]
    assert priors[40] == 0.0 and priors[81] > 0.0  # occupied point; pass is a candidate
    assert priors.sum() == pytest.approx(1.0, abs=1e-5)
    assert priors.std() > 0.002  # uniform would be 1/80 everywhere legal
    assert priors[priors > 0].min() >= 0.75 / 81 - 1e-6  # (1 - 0.25) of the prior remains
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_noise_is_added_to_a_reused_root():
    config = SearchConfig(num_simulations=200, add_noise=True, pass_guard=False)
    search = _search(config, evaluator=UniformEvaluator(9))
    search.set_root(0, go.Position.new(9))
    search.run()
    move = int(np.argmax(search.visit_counts(0)))
    clean = search.root_stats(0, [move]).priors
    np.testing.assert_allclose(clean[clean > 0], clean[clean > 0][0])  # no noise below root
    search.advance(0, move)
    noisy = search.root_stats(0).priors
    assert not np.allclose(noisy, clean)
    assert noisy.sum() == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------------- tree reuse
def test_advance_keeps_the_subtree_counts():
    search = _search(SearchConfig(num_simulations=600))
    search.set_root(0, go.Position.new(9))
    search.run()
    move = search.choose_move(0, temperature=0)
    before = search.root_stats(0, [move])
    assert before.visits.sum() > 10
    search.advance(0, move)
    after = search.root_stats(0)
    # the subtree below the move becomes the new root's tree, pass included (white is behind
    # on the board, but black did not pass, so the guard keeps pass)
    np.testing.assert_array_equal(after.visits, before.visits)
    np.testing.assert_array_equal(after.q, before.q)
    assert after.legal[-1]
    assert search.position(0).moves() == [move]
    search.run(100)
    assert search.visit_counts(0).sum() == before.visits.sum() + 100


def test_advance_to_an_unsearched_move_starts_a_fresh_tree():
    search = _search(SearchConfig(num_simulations=30))
    search.set_root(0, go.Position.new(9))
    search.run()
    unsearched = int(np.flatnonzero(search.visit_counts(0)[:-1] == 0)[0])
    search.advance(0, unsearched)
    assert search.visit_counts(0).sum() == 0
    assert search.root_stats(0).total_visits == 0
    search.run()
    assert search.visit_counts(0).sum() == 30


def test_tree_memory_is_reused_over_a_game():
    search = _search(SearchConfig(num_simulations=100), games=2)
    for g in range(2):
        search.set_root(g, go.Position.new(9))
    capacity = []
    for _ in range(30):
        search.run()
        # one node per visit at most: the nodes of abandoned branches went back to the pool
        assert search.pool.nodes_in_use <= sum(search.root_stats(g).total_visits
                                               for g in range(2))
        for g in range(2):
            search.advance(g, search.choose_move(g))
        capacity.append(search.pool.capacity)
    assert capacity[-1] == capacity[9]  # no growth over the last 20 moves


def test_advance_refuses_an_illegal_move():
    search = _search(SearchConfig(num_simulations=10))
    search.set_root(0, go.Position.new(9).play(40))
    with pytest.raises(go.IllegalMove, match="occupied"):
        search.advance(0, 40)


# ---------------------------------------------------------------- seeds and temperature
def _play(seed: int, moves: int = 6) -> tuple[list[list[int]], np.ndarray]:
    config = SearchConfig(num_simulations=64, add_noise=True, leaves_per_tree=4,
                          temperature_moves=4)
    search = BatchedSearch(RandomValueEvaluator(9, seed=seed), config, 3, seed=seed)
    for g in range(3):
        search.set_root(g, go.Position.new(9))
    played: list[list[int]] = [[], [], []]
    for _ in range(moves):
        search.run()
        for g in range(3):
            move = search.choose_move(g)
            played[g].append(move)
            search.advance(g, move)
    search.run()
    return played, search.visit_counts(0)


def test_same_seed_same_games():
    a, b, c = _play(11), _play(11), _play(12)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0] != c[0]


def test_temperature_samples_early_then_plays_the_most_visited():
    priors = np.random.default_rng(0).random(82).astype(np.float32) ** 3
    config = SearchConfig(num_simulations=200, temperature_moves=2, fpu_reduction=0.0)
    search = _search(config, evaluator=FixedPriorEvaluator(priors))
    search.set_root(0, go.Position.new(9))
    search.run()
    visits = search.visit_counts(0)
    draws = [search.choose_move(0) for _ in range(300)]  # move 0 < 2: temperature 1
    assert all(visits[m] > 0 for m in draws)
    assert len(set(draws)) > 10
    best = int(np.argmax(visits))
    share = draws.count(best) / len(draws)
    assert abs(share - visits[best] / visits.sum()) < 0.08
    assert {search.choose_move(0, temperature=0) for _ in range(20)} == {best}
    later = go.Position.new(9).play(40).play(41)  # move 2: greedy
    search.set_root(0, later)
    search.run()
    best = int(np.argmax(search.visit_counts(0)))
    assert {search.choose_move(0) for _ in range(20)} == {best}


# ---------------------------------------------------------------- passes
BLACK_AHEAD = [  # black owns 15 points, white 10: black +5 on the board
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
]


def _after_white_pass(rows, komi):
    return position(rows, to_play=-1, komi=komi).play(25)


def test_pass_guard_does_not_throw_away_a_won_game():
    # komi 7.5: black is behind on the board after white passed; an evaluator that puts all
    # its prior on pass would end the game at once, and lose it.
    pass_lover = np.zeros(26, np.float32)
    pass_lover[25] = 1.0
    root = _after_white_pass(BLACK_AHEAD, komi=7.5)
    assert root.passes == 1 and root.score() < 0
    for guard, expect_pass in ((False, True), (True, False)):
        search = _search(SearchConfig(num_simulations=1, pass_guard=guard),
                         evaluator=FixedPriorEvaluator(pass_lover))
        search.set_root(0, root)
        search.run()
        assert (search.choose_move(0, temperature=0) == 25) is expect_pass
        assert search.root_stats(0).legal[25] is not guard
    search.run(200)
    assert search.visit_counts(0)[25] == 0
    assert all(search.choose_move(0, temperature=1.0) != 25 for _ in range(50))


def test_passing_to_win_is_found_when_the_board_says_so():
    root = _after_white_pass(BLACK_AHEAD, komi=0.5)
    assert root.score() > 0
    search = _search(SearchConfig(num_simulations=300), size=5,
                     evaluator=UniformEvaluator(5))
    search.set_root(0, root)
    search.run()
    assert search.root_stats(0).legal[25]
    assert search.choose_move(0, temperature=0) == 25
    assert search.root_stats(0).q[25] == pytest.approx(1.0)  # the rules score the end
    search.advance(0, 25)
    assert search.position(0).is_over()
    assert search.root_value(0) == -1.0  # white to move at the end, and lost
    search.run()  # nothing to search
    with pytest.raises(ValueError, match="no visits"):
        search.choose_move(0)


def test_pass_when_nothing_else_is_legal():
    # white lives with two eyes on 3x3; black can only pass, even though behind
    root = position([". O O", "O O O", "O O ."], komi=0.5)
    assert root.legal_moves().sum() == 1
    search = _search(SearchConfig(num_simulations=20), size=3, evaluator=UniformEvaluator(3))
    search.set_root(0, root)
    search.run()
    assert search.choose_move(0) == 9


# ---------------------------------------------------------------- errors
class _Broken(UniformEvaluator):
    def __init__(self, size, fail_on_call):
        super().__init__(size)
        self.calls = 0
        self.fail_on_call = fail_on_call

    def evaluate(self, boards, to_play, legal):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("inference server went away")
        return super().evaluate(boards, to_play, legal)


@pytest.mark.parametrize("fail_on_call", [1, 3])
def test_a_failed_evaluation_leaves_the_trees_usable(fail_on_call):
    search = _search(SearchConfig(num_simulations=40, leaves_per_tree=4), games=2,
                     evaluator=_Broken(9, fail_on_call))
    for g in range(2):
        search.set_root(g, go.Position.new(9))
    with pytest.raises(RuntimeError, match="went away"):
        search.run()
    free_before = search.pool.free_count
    search.run()
    assert search.pool.free_count < free_before
    for g in range(2):
        stats = search.root_stats(g)
        assert stats.total_visits == stats.visits.sum() + 1
        assert stats.visits.sum() >= 40


def test_evaluator_with_wrong_shapes_is_refused():
    class Wrong(UniformEvaluator):
        def evaluate(self, boards, to_play, legal):
            priors, values = super().evaluate(boards, to_play, legal)
            return priors[:, :-1], values

    search = _search(SearchConfig(num_simulations=5), evaluator=Wrong(9))
    search.set_root(0, go.Position.new(9))
    with pytest.raises(ValueError, match="priors of shape"):
        search.run()


def test_bad_arguments_name_the_value():
    search = _search(SearchConfig(num_simulations=5), games=2)
    with pytest.raises(ValueError, match="no root"):
        search.run(games=[0])
    with pytest.raises(ValueError, match="got 2"):
        search.set_root(2, go.Position.new(9))
    with pytest.raises(ValueError, match="7x7"):
        search.set_root(0, go.Position.new(7))
    search.set_root(0, go.Position.new(9))
    with pytest.raises(ValueError, match="call run"):
        search.choose_move(0)
    with pytest.raises(ValueError, match="call run"):
        search.root_value(0)
    with pytest.raises(ValueError, match="simulations"):
        search.run(-1)
    search.run()
    with pytest.raises(ValueError, match="temperature"):
        search.choose_move(0, temperature=-1.0)
    with pytest.raises(ValueError, match="not in the tree"):
        search.visit_counts(0, [int(np.flatnonzero(search.visit_counts(0) == 0)[0])])
    with pytest.raises(ValueError, match="num_games"):
        BatchedSearch(UniformEvaluator(9), SearchConfig(), 0)
