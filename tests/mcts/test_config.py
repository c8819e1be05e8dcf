"""SearchConfig: defaults, derived values and refused values."""

import dataclasses

import pytest

from mcts import SearchConfig


def test_defaults_follow_alphago_zero():
    cfg = SearchConfig()
    assert cfg.num_simulations == 800
    assert cfg.dirichlet_weight == 0.25
    assert cfg.resign_disabled_fraction == 0.1
    assert cfg.resign_threshold is None
    assert cfg.add_noise is False
    assert cfg.noise_alpha(19) == pytest.approx(0.03)
    assert cfg.noise_alpha(9) == pytest.approx(0.03 * 361 / 81)
    assert SearchConfig(dirichlet_alpha=0.5).noise_alpha(9) == 0.5


def test_temperature_moves_scale_with_board_size_and_stay_even():
    cfg = SearchConfig()
    assert cfg.temperature_move_count(19) == 30
    assert cfg.temperature_move_count(9) == 6
    assert cfg.temperature_move_count(5) == 2
    assert all(cfg.temperature_move_count(n) % 2 == 0 for n in range(2, 20))
    assert SearchConfig(temperature_moves=11).temperature_move_count(9) == 11


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SearchConfig().num_simulations = 3  # type: ignore[misc]


@pytest.mark.parametrize("field, value", [
    ("num_simulations", 0), ("num_simulations", 2.5), ("leaves_per_tree", 0),
    ("c_puct_init", 0.0), ("c_puct_base", -1.0), ("dirichlet_alpha", 0.0),
    ("dirichlet_weight", 1.5), ("resign_threshold", -1.5), ("resign_disabled_fraction", 2.0),
    ("temperature_moves", -1), ("virtual_loss", float("nan")), ("add_noise", 1),
    ("resign_false_positive_target", 0.0), ("initial_nodes_per_game", 0),
])
def test_bad_values_are_refused_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        SearchConfig(**{field: value})
