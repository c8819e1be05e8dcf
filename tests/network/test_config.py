"""NetworkConfig / TrainConfig: validation, names, presets, dict round trips, light imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from network.config import PRESETS, NetworkConfig, TrainConfig


def test_presets_and_names():
    assert PRESETS["cpu9"].board_size == 9 and PRESETS["cpu9"].name == "b4c32"
    agz = PRESETS["agz19"]
    assert (agz.board_size, agz.blocks, agz.filters, agz.history_length) == (19, 20, 256, 8)
    assert agz.name == "b20c256" and agz.input_planes == 17 and agz.num_moves == 362
    tiny = NetworkConfig.tiny(7)
    assert tiny.board_size == 7 and tiny.blocks <= 2 and tiny.filters == 16


@pytest.mark.parametrize("field, value, words", [
    ("board_size", 1, "board_size"), ("board_size", 20, "got 20"), ("blocks", -1, "blocks"),
    ("filters", 0, "filters must be a positive integer, got 0"),
    ("kernel_size", 4, "kernel_size must be odd, got 4"), ("history_length", 0, "history"),
    ("value_hidden", 2.5, "value_hidden"), ("bn_momentum", 1.0, "bn_momentum"),
])
def test_network_config_refuses_bad_values(field, value, words):
    with pytest.raises(ValueError, match=words):
        NetworkConfig(**{field: value})


def test_configs_round_trip_through_json():
    for config in [*PRESETS.values(), NetworkConfig.tiny(5)]:
        assert NetworkConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    train = TrainConfig(learning_rates=(0.1, 0.01), lr_boundaries=(10,), l2=0.0)
    assert TrainConfig.from_dict(json.loads(json.dumps(train.to_dict()))) == train
    with pytest.raises(ValueError, match="unknown NetworkConfig field.*'width'"):
        NetworkConfig.from_dict({"width": 3})


def test_train_config_schedule_and_validation():
    config = TrainConfig()
    assert config.momentum == 0.9 and config.l2 == 1e-4
    assert config.learning_rate(0) == 1e-2 and config.learning_rate(399_999) == 1e-2
    assert config.learning_rate(400_000) == 1e-3 and config.learning_rate(600_000) == 1e-4
    with pytest.raises(ValueError, match="lr_boundaries needs 1 step counts"):
        TrainConfig(learning_rates=(0.1, 0.01), lr_boundaries=())
    with pytest.raises(ValueError, match="increasing"):
        TrainConfig(learning_rates=(0.1, 0.01, 0.001), lr_boundaries=(10, 5))
    with pytest.raises(ValueError, match="momentum must be in"):
        TrainConfig(momentum=1.0)


def test_config_features_and_symmetry_import_without_keras():
    code = ("import sys, network, network.config, network.features, network.symmetry; "
            "network.NetworkConfig.tiny(5); "
            "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
