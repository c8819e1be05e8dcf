"""KataGo's search techniques: playout cap randomization, forced playouts, target pruning."""

import math

import numpy as np
import pytest

import go
from mcts import BatchedSearch, RandomValueEvaluator, SearchConfig, UniformEvaluator
from mcts import tree_kernels as tk
from mcts.node_pool import NodePool
from mcts.search import pruned_visits
from mcts.tree_arrays import TreeArrays

C_INIT, C_BASE = 1.25, 19652.0


def _synthetic_root(visits, priors, values) -> NodePool:
    """A 3x3 pool whose node 0 is an expanded root with moves 0, 1, 2 legal."""
    pool = NodePool(3, 4)
    pool.child[0] = tk.ILLEGAL
    pool.child[0, :3] = tk.UNEXPANDED
    pool.edge_n[0, :3] = visits
    pool.edge_w[0, :3] = values
    pool.prior[0] = 0.0
    pool.prior[0, :3] = priors
    pool.node_n[0] = sum(visits) + 1
    pool.node_w[0] = 0.0
    pool.node_state[0] = tk.EXPANDED
    return pool


@pytest.mark.parametrize("k, expected", [(0.0, 1), (0.4, 1), (2.0, 2)])
def test_a_move_below_its_forced_playouts_is_chosen_first(k, expected):
    # 20 child visits. Move 2 (P = 0.1, one visit, Q = -0.5) is forced at k = 2
    # (sqrt(2 * 0.1 * 20) = 2 > 1) but not at k = 0.4 (sqrt(0.8) < 1); PUCT alone picks
    # move 1: 0 + c * 0.2 * sqrt(21) / 4 = 0.287 beats move 0's 0.236 and move 2's -0.21.
    pool = _synthetic_root([16, 3, 1], [0.7, 0.2, 0.1], [0.0, 0.0, -0.5])
    assert tk._pick_child(TreeArrays(*pool.fields), 0, C_INIT, C_BASE, 0.25, k) == expected


def test_a_move_without_prior_is_never_forced():
    pool = _synthetic_root([19, 1, 0], [0.9, 0.1, 0.0], [0.0, 0.0, 0.0])
    # move 2: P = 0, unvisited (FPU -0.25): no forced count, and PUCT prefers move 1
    assert tk._pick_child(TreeArrays(*pool.fields), 0, C_INIT, C_BASE, 0.25, 100.0) == 1


def _searched(k: float, sims: int = 100) -> BatchedSearch:
    """A 5x5 search of uniform priors and random values (seeded alike for every k)."""
    config = SearchConfig(num_simulations=sims, forced_playout_k=k)
    search = BatchedSearch(RandomValueEvaluator(5, seed=1), config, 1, seed=0)
    search.set_root(0, go.Position.new(5))
    search.run()
    return search


def _below_forced(search: BatchedSearch, k: float = 2.0) -> list[int]:
    """Visited moves more than one visit short of ``sqrt(k * P * total)``."""
    stats = search.root_stats(0)
    total = int(stats.visits.sum())
    return [a for a in np.flatnonzero(stats.visits > 0)
            if stats.visits[a] + 1 < math.sqrt(k * stats.priors[a] * total)]


def test_forced_playouts_give_every_visited_move_its_count_in_a_search():
    plain, forced = _searched(0.0), _searched(2.0)
    # sqrt(2 * P * 100) = 2.8 visits for each of the 25 moves of prior 1/25 (no pass: the
    # pass guard removes it); moves whose first visits went badly are left behind by PUCT
    assert len(_below_forced(plain)) > 10
    assert forced.root_stats(0).visits.sum() == 100
    # at most the move first visited last has not caught up yet
    assert len(_below_forced(forced)) <= 1
    # the target prunes forced visits: the best move's share grows, nothing is added
    raw, target = forced.visit_counts(0), forced.target_visits(0)
    assert np.all(target <= raw) and target.argmax() == raw.argmax()
    assert target.max() / target.sum() > raw.max() / raw.sum()
    np.testing.assert_allclose(forced.policy_target(0), target / target.sum(), rtol=1e-6)


def test_pruning_on_a_hand_built_visit_distribution():
    visits = np.array([50, 10, 3, 1, 0])
    priors = np.array([0.5, 0.2, 0.1, 0.1, 0.1])
    q = np.array([0.1, -0.1, -0.2, -0.3, np.nan])
    # N = 65, c = 1.25 + log(19718 / 19652) = 1.25330, c * sqrt(65) = 10.1044; the best
    # move's PUCT: 0.1 + 10.1044 * 0.5 / 51 = 0.19906.
    # move 1: forced sqrt(2 * 0.2 * 64) = 5.06; -0.1 + 2.0209 / (1 + n) < 0.19906 for
    #   n >= 6: 4 visits go, 6 stay.
    # move 2: forced 3.58; -0.2 + 1.0104 / (1 + n) < 0.19906 for n >= 2: 3 -> 2.
    # move 3: removing its visit would lift it to 0.71 > 0.199: it keeps it, then a
    #   move with one visit is dropped.
    out = pruned_visits(visits, q, priors, 65, C_INIT, C_BASE, 2.0)
    assert out.tolist() == [50, 6, 2, 0, 0]
    # at most the forced playouts go: with k = 0.5 move 1 loses 2 (sqrt(6.4) = 2.53)
    assert pruned_visits(visits, q, priors, 65, C_INIT, C_BASE, 0.5).tolist() == [
        50, 8, 2, 0, 0]
    assert pruned_visits(visits, q, priors, 65, C_INIT, C_BASE, 0.0).tolist() == \
        visits.tolist()


def test_playout_cap_randomization_draws_full_searches_and_keeps_fast_ones_plain():
    config = SearchConfig(num_simulations=16, fast_simulations=4, full_search_fraction=0.25,
                          add_noise=True, forced_playout_k=2.0)
    games = 32
    search = BatchedSearch(UniformEvaluator(5), config, games, seed=5)
    position = go.Position.new(5).play(12)
    full = 0
    draws = 0
    for _ in range(10):
        for g in range(games):
            search.set_root(g, position)
        search.run()
        for g in range(games):
            stats = search.root_stats(g)
            uniform = stats.legal / stats.legal.sum()
            draws += 1
            if search.full_search(g):
                full += 1
                assert stats.visits.sum() == 16
                assert not np.allclose(stats.priors, uniform)  # noise
            else:
                assert stats.visits.sum() == 4
                np.testing.assert_allclose(stats.priors, uniform, rtol=1e-6)  # no noise
                # no forced playouts, nothing pruned
                np.testing.assert_array_equal(search.target_visits(g), stats.visits)
    # 320 draws of p = 0.25: sd 0.024
    assert 0.15 < full / draws < 0.35, full / draws


def test_fast_simulations_default_and_bounds():
    assert SearchConfig(num_simulations=100).fast_simulation_count() == 25
    assert SearchConfig(num_simulations=10, fast_simulations=25).fast_simulation_count() == 10
    assert SearchConfig(num_simulations=100).mean_simulations() == 100.0
    assert SearchConfig(num_simulations=100, full_search_fraction=0.5,
                        fast_simulations=20).mean_simulations() == 60.0
    with pytest.raises(ValueError, match="full_search_fraction"):
        SearchConfig(full_search_fraction=0.0)
    with pytest.raises(ValueError, match="forced_playout_k"):
        SearchConfig(forced_playout_k=-1.0)
    with pytest.raises(ValueError, match="fast_simulations"):
        SearchConfig(fast_simulations=0)
