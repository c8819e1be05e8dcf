"""Visits follow the priors when values are equal; value signs hold two plies deep."""

import numpy as np
import pytest

import go
from mcts import BatchedSearch, ColourEvaluator, FixedPriorEvaluator, SearchConfig


def test_visit_counts_follow_the_priors_when_every_value_is_equal():
    rng = np.random.default_rng(3)
    priors = rng.random(82).astype(np.float32) ** 2
    priors[81] = 0.0  # pass never visited: no terminal position, every value stays 0
    priors /= priors.sum()
    search = BatchedSearch(FixedPriorEvaluator(priors),
                           SearchConfig(num_simulations=4000, fpu_reduction=0.0), 1)
    search.set_root(0, go.Position.new(9))
    search.run()
    visits = search.visit_counts(0)
    assert visits.sum() == 4000
    assert visits[81] == 0
    share = visits / visits.sum()
    assert np.abs(share - priors).max() < 0.003
    assert np.corrcoef(share, priors)[0, 1] > 0.999
    np.testing.assert_array_equal(search.policy_target(0), share.astype(np.float32))


def test_signs_at_the_root_and_two_plies_deep():
    # The evaluator says black is ahead by 0.5 in every position. (The pass floor is off:
    # it would value a position reached by a pass by the count instead.)
    search = BatchedSearch(ColourEvaluator(9, black_value=0.5),
                           SearchConfig(num_simulations=300, fpu_reduction=0.0,
                                        pass_floor=False), 1)
    search.set_root(0, go.Position.new(9, komi=7.5))  # black to move
    search.run()
    assert search.root_value(0) == pytest.approx(0.5)
    stats = search.root_stats(0)
    visited = stats.visits > 0
    np.testing.assert_allclose(stats.q[visited], 0.5, rtol=1e-6)  # black chooses
    deeper = [m for m in np.flatnonzero(visited) if stats.visits[m] >= 2]
    assert deeper, "no child was visited twice"
    for m in deeper:
        child = search.root_stats(0, [int(m)])  # white to move there
        assert child.value == pytest.approx(-0.5)
        np.testing.assert_allclose(child.q[child.visits > 0], -0.5, rtol=1e-6)

    # The same tree with white to move at the root: every sign flips.
    search.set_root(0, go.Position.new(9, komi=7.5).play(40))
    search.run()
    assert search.root_value(0) == pytest.approx(-0.5)
    stats = search.root_stats(0)
    np.testing.assert_allclose(stats.q[stats.visits > 0], -0.5, rtol=1e-6)


def test_first_play_urgency_sets_how_widely_unvisited_moves_are_tried():
    def visited(config: SearchConfig, path=()) -> int:
        search = BatchedSearch(ColourEvaluator(9, 0.0), config, 1)
        search.set_root(0, go.Position.new(9))
        search.run()
        return int((search.visit_counts(0, list(path)) > 0).sum())

    wide = SearchConfig(num_simulations=160, fpu_reduction=0.0)
    narrow = SearchConfig(num_simulations=160, fpu_reduction=1.0)
    assert visited(wide) == 82  # every legal move, pass included (nobody passed yet)
    assert visited(narrow) <= 3  # an untried move looks like a loss: stay with the first
    mixed = SearchConfig(num_simulations=160, fpu_reduction=1.0, fpu_reduction_root=0.0)
    assert visited(mixed) == 82
    assert SearchConfig(add_noise=True).root_fpu_reduction() == 0.0
    assert SearchConfig(fpu_reduction=0.3).root_fpu_reduction() == 0.3
