"""Resignation: the rule, the games that may not resign, and threshold calibration."""

import numpy as np
import pytest

import go
from mcts import (
    BatchedSearch,
    ColourEvaluator,
    SearchConfig,
    calibrate_resign_threshold,
    resign_false_positive_rate,
)


def _searched(black_value: float, games: int = 1, seed: int = 0, **config) -> BatchedSearch:
    search = BatchedSearch(ColourEvaluator(9, black_value),
                           SearchConfig(num_simulations=40, **config), games, seed=seed)
    for g in range(games):
        search.set_root(g, go.Position.new(9))  # black to move
    search.run()
    return search


def test_resigns_only_when_root_and_best_move_are_below_the_threshold():
    lost = _searched(-0.95, resign_threshold=-0.9, resign_disabled_fraction=0.0)
    assert lost.root_value(0) == pytest.approx(-0.95)
    assert lost.resign_value(0) == pytest.approx(-0.95)
    assert lost.should_resign(0) and lost.would_resign(0)
    assert not _searched(-0.85, resign_threshold=-0.9, resign_disabled_fraction=0.0
                         ).should_resign(0)
    assert not _searched(-0.95, resign_disabled_fraction=0.0).should_resign(0)  # no threshold
    # white to move in the same kind of position is winning: no resignation
    white = BatchedSearch(ColourEvaluator(9, -0.95),
                          SearchConfig(num_simulations=40, resign_threshold=-0.9,
                                       resign_disabled_fraction=0.0), 1)
    white.set_root(0, go.Position.new(9).play(40))
    white.run()
    assert white.root_value(0) == pytest.approx(0.95)
    assert not white.should_resign(0)


def test_resign_disabled_games_report_what_they_would_have_done():
    search = _searched(-0.95, resign_threshold=-0.9, resign_disabled_fraction=1.0)
    assert search.resign_disabled(0)
    assert not search.should_resign(0)
    assert search.would_resign(0)


def test_share_of_resign_disabled_games_is_the_configured_one_and_seeded():
    def disabled(seed: int) -> np.ndarray:
        search = BatchedSearch(ColourEvaluator(5, 0.0), SearchConfig(num_simulations=1), 400,
                               seed=seed)
        for g in range(400):
            search.set_root(g, go.Position.new(5))
        return np.array([search.resign_disabled(g) for g in range(400)])

    a, b = disabled(1), disabled(1)
    np.testing.assert_array_equal(a, b)
    assert 20 <= a.sum() <= 65  # 10% of 400, with room for chance (p < 1e-4 outside)


def test_false_positive_rate_and_calibration():
    # players' lowest resign values in resign-disabled games, and whether they won
    values = [-0.99, -0.98, -0.97, -0.95, -0.9, -0.85, -0.8, -0.6, -0.3, 0.1]
    won = [False, False, False, False, False, True, False, True, True, True]
    assert resign_false_positive_rate(values, won, -0.96) == 0.0
    assert resign_false_positive_rate(values, won, -0.82) == pytest.approx(1 / 6)
    assert resign_false_positive_rate(values, won, -1.0) == 0.0  # nobody resigns
    t = calibrate_resign_threshold(values, won, target=0.05)
    assert -0.9 < t <= -0.85
    assert resign_false_positive_rate(values, won, t) <= 0.05
    t20 = calibrate_resign_threshold(values, won, target=0.2)
    assert -0.8 < t20 <= -0.6
    assert calibrate_resign_threshold([-0.9, -0.5], [True, False]) is None
    assert calibrate_resign_threshold(values, won, min_resigned=6) is None
    with pytest.raises(ValueError, match="equal length"):
        resign_false_positive_rate([0.1, 0.2], [True], 0.0)
    with pytest.raises(ValueError, match="target"):
        calibrate_resign_threshold(values, won, target=1.5)
