"""build_model: shapes, heads, parameter counts, and reading the config back."""

from __future__ import annotations

import dataclasses
import io
import re

import keras
import numpy as np
import pytest

import network
from network import PolicyValueHead, Residual, network_config_of
from network.config import PRESETS, NetworkConfig


def expected_parameters(c: NetworkConfig) -> tuple[int, int]:
    """(trainable, non-trainable) of build_model(c), counted by hand."""
    n2, f, k2 = c.board_size ** 2, c.filters, c.kernel_size ** 2
    trainable = k2 * c.input_planes * f + 2 * f                       # stem conv + BN
    trainable += c.blocks * (2 * k2 * f * f + 4 * f)                  # residual blocks
    trainable += f * c.policy_filters + 2 * c.policy_filters          # policy 1x1 + BN
    if c.policy_head == "conv":
        trainable += (c.policy_filters + 1) * 2                       # point conv, pass
    else:
        trainable += (n2 * c.policy_filters + 1) * (n2 + 1)           # policy dense
    trainable += f * c.value_filters + 2 * c.value_filters            # value 1x1 + BN
    trainable += (n2 * c.value_filters + 1) * c.value_hidden          # value hidden
    trainable += c.value_hidden + 1                                   # value output
    non_trainable = 2 * f + c.blocks * 4 * f + 2 * (c.policy_filters + c.value_filters)
    if c.auxiliary_heads:
        trainable += (f + 1) + (c.value_hidden + 1)                   # ownership, score
    g = c.pooled_channels
    pooling = c.blocks // c.global_pooling_every if c.global_pooling_every else 0
    trainable += pooling * (k2 * f * g + 2 * g + 2 * g * f)           # pooled branches
    non_trainable += pooling * 2 * g
    return trainable, non_trainable


def test_outputs_are_policy_logits_and_tanh_value(tiny5, tiny5_model):
    x = np.random.default_rng(0).random((3, 5, 5, tiny5.input_planes)).astype(np.float32)
    out = tiny5_model(x, training=False)
    assert set(out) == {"policy", "value"}
    assert tuple(out["policy"].shape) == (3, 26) and tuple(out["value"].shape) == (3, 1)
    assert out["policy"].dtype == "float32"
    value = np.asarray(out["value"])
    assert np.all(np.abs(value) <= 1)


@pytest.mark.parametrize("name", ["cpu9", "cpu9_fast"])
def test_an_untrained_network_values_every_position_at_zero(name):
    """A network that has learnt nothing claims nothing: value 0 everywhere (a saturated
    random value head made self-play resign after one move), while its policy and the
    value's hidden layer are random as usual."""
    model = network.build_model(PRESETS[name])
    x = np.random.default_rng(1).integers(0, 2, (8, 9, 9, PRESETS[name].input_planes))
    out = model(x.astype(np.float32), training=False)
    np.testing.assert_array_equal(np.asarray(out["value"]), 0.0)
    assert np.ptp(np.asarray(out["policy"])) > 0.1
    hidden = model.layers[-1].value_hidden_dense.kernel
    assert float(np.std(np.asarray(hidden))) > 0.01


def test_layer_sequence_and_name(tiny5, tiny5_model):
    assert isinstance(tiny5_model, keras.Sequential)
    kinds = [type(layer).__name__ for layer in tiny5_model.layers]
    assert kinds == ["Conv2D", "BatchNormalization", "ReLU", "Residual", "Residual",
                     "PolicyValueHead"]
    assert tiny5_model.name == "zerogo_b2c16_5x5"


@pytest.mark.parametrize("config", [
    NetworkConfig.tiny(5),
    NetworkConfig(board_size=7, blocks=1, filters=8, history_length=3, kernel_size=5,
                  policy_filters=3, value_filters=2, value_hidden=12),
    PRESETS["cpu9"],
    dataclasses.replace(PRESETS["cpu9"], policy_head="dense", policy_filters=2),
])
def test_summary_parameter_counts_match_the_hand_count(config):
    model = network.build_model(config)
    trainable, non_trainable = expected_parameters(config)
    out = io.StringIO()
    model.summary(print_fn=lambda line, **_: out.write(line + "\n"))
    text = out.getvalue()
    assert int(re.search(r"Trainable params: ([\d,]+)", text)[1].replace(",", "")) == trainable
    assert int(re.search(r"Non-trainable params: ([\d,]+)", text)[1].replace(",", "")) == (
        non_trainable)
    assert network_config_of(model) == config


def test_head_layer_round_trips_and_refuses_bad_sizes():
    head = PolicyValueHead(policy_filters=3, value_filters=2, value_hidden=7)
    assert PolicyValueHead.from_config(head.get_config()).get_config() == head.get_config()
    assert head.compute_output_shape((None, 4, 4, 8)) == {"policy": (None, 17),
                                                          "value": (None, 1)}
    with pytest.raises(ValueError, match="value_hidden must be a positive integer, got 0"):
        PolicyValueHead(value_hidden=0)
    with pytest.raises(ValueError, match=r"expects channels-last boards"):
        head.build((None, 16, 8))
    with pytest.raises(TypeError, match="needs a NetworkConfig"):
        network.build_model({"board_size": 9})


def test_the_conv_policy_head_gives_every_point_the_same_function_of_its_features():
    """A board whose every point looks alike (inputs constant over the board, stride-free
    convolutions with 'same' padding aside) gets equal logits at equal points; the dense
    head, one weight row per point, does not."""
    outs = {}
    for kind in ("conv", "dense"):
        config = NetworkConfig(board_size=7, blocks=0, filters=8, history_length=1,
                               kernel_size=1, policy_filters=4, policy_head=kind)
        keras.utils.set_random_seed(2)
        model = network.build_model(config)
        x = np.ones((2, 7, 7, config.input_planes), np.float32)
        x[1] = 0.5
        outs[kind] = np.asarray(model(x, training=False)["policy"])
        assert outs[kind].shape == (2, 50)
    points = outs["conv"][:, :49]
    np.testing.assert_allclose(points, points[:, :1].repeat(49, axis=1), atol=1e-5)
    assert np.ptp(outs["dense"][0, :49]) > 0.01
    # the pass logit is a function of the board: the two boards differ
    assert outs["conv"][0, 49] != outs["conv"][1, 49]


def test_the_policy_head_kind_round_trips_and_old_heads_load_as_dense():
    head = PolicyValueHead(policy_filters=4, policy_head="conv")
    config = head.get_config()
    assert config["policy_head"] == "conv"
    assert PolicyValueHead.from_config(config).get_config() == config
    del config["policy_head"]  # a head saved before the field existed
    assert PolicyValueHead.from_config(config).policy_head == "dense"
    with pytest.raises(ValueError, match="policy_head must be one of .*'mlp'"):
        PolicyValueHead(policy_head="mlp")
    with pytest.raises(ValueError, match="policy_head must be 'dense' or 'conv', got 'mlp'"):
        NetworkConfig(policy_head="mlp")


def test_network_config_of_refuses_foreign_models():
    other = keras.Sequential([keras.Input((5, 5, 4)), Residual(4, 3)])
    with pytest.raises(ValueError, match="does not take"):
        network_config_of(other)
