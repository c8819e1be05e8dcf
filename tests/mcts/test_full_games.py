"""Whole games through the search: many games at once, to the end, and the package's
independence from tensorflow and ray."""

import subprocess
import sys

import numpy as np

import go
from mcts import BatchedSearch, RandomValueEvaluator, SearchConfig


def test_batched_games_play_to_the_end_by_the_rules():
    komis = [0.5, 7.5, -3.0, 6.0]
    config = SearchConfig(num_simulations=24, leaves_per_tree=3, add_noise=True,
                          temperature_moves=8)
    search = BatchedSearch(RandomValueEvaluator(7, history_length=4, seed=1), config,
                           len(komis), seed=2)
    for g, komi in enumerate(komis):
        search.set_root(g, go.Position.new(7, komi=komi, max_moves=80))
    finished: dict[int, go.Position] = {}
    while len(finished) < len(komis):
        search.run()
        for g in range(len(komis)):
            if g in finished:
                continue
            position = search.position(g)
            target = search.policy_target(g)
            assert abs(target.sum() - 1) < 1e-5
            legal = search.root_stats(g).legal
            assert not (target[~legal] > 0).any()
            assert np.array_equal(legal[:-1], position.legal_moves()[:-1])
            move = search.choose_move(g)
            assert position.is_legal(move)
            search.advance(g, move)
            if search.position(g).is_over():
                finished[g] = search.position(g)
    for g, final in finished.items():
        assert final.komi == komis[g]
        assert final.passes >= 2 or final.move_number == 80
        assert search.root_value(g) == np.sign(final.score()) * final.to_play
    # a new game returns the old tree's nodes to the pool
    for g in range(len(komis)):
        search.set_root(g, go.Position.new(7))
    assert search.pool.nodes_in_use == len(komis)


def test_mcts_imports_without_tensorflow_or_ray():
    code = ("import sys, mcts; bad = [m for m in ('tensorflow', 'keras', 'ray') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
