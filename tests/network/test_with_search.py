"""NetworkEvaluator driving the real batched MCTS (the contract between the packages)."""

from __future__ import annotations

import numpy as np

import go
from mcts import BatchedSearch, SearchConfig
from network import NetworkEvaluator


def test_batched_search_over_a_network(tiny5, tiny5_model):
    evaluator = NetworkEvaluator(tiny5_model, tiny5, seed=0)
    search = BatchedSearch(evaluator, SearchConfig(num_simulations=24), num_games=3, seed=1)
    positions = [go.Position.new(5), go.Position.new(5).play(12), go.Position.new(5)]
    for game, position in enumerate(positions):
        search.set_root(game, position)
    search.run()
    for game, position in enumerate(positions):
        target = search.policy_target(game)
        assert target.shape == (26,) and abs(float(target.sum()) - 1.0) < 1e-5
        assert np.all(target[~position.legal_moves()] == 0)
        move = search.choose_move(game)
        assert position.is_legal(move)
        assert -1.0 <= search.root_value(game) <= 1.0
    assert search.evaluator_calls < search.evaluations      # leaves were batched
    assert evaluator.traces == 1
