"""Auxiliary heads (final ownership and score), the global-pooling block, their losses, and
old networks without them."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

import network
from network import symmetry
from network.config import NetworkConfig, TrainConfig
from network.evaluator import NoAuxiliaryHeadsError
from network.features import planes
from network.global_pooling import GlobalPoolingResidual
from tests.network.conftest import random_batch

AUX5 = dataclasses.replace(NetworkConfig.tiny(5), blocks=3, auxiliary_heads=True,
                           global_pooling_every=2, pooled_channels=4)


@pytest.fixture(scope="module")
def aux_model():
    keras.utils.set_random_seed(2)
    return network.build_model(AUX5)


def test_outputs_and_layers(aux_model):
    kinds = [type(layer).__name__ for layer in aux_model.layers]
    assert kinds == ["Conv2D", "BatchNormalization", "ReLU", "Residual",
                     "GlobalPoolingResidual", "Residual", "PolicyValueHead"]
    boards, to_play, _ = random_batch(AUX5, 3)
    out = aux_model(planes(boards, to_play), training=False)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "policy": (3, 26), "value": (3, 1), "ownership": (3, 5, 5), "score": (3, 1)}
    assert np.all(np.abs(np.asarray(out["ownership"])) <= 1)
    assert network.network_config_of(aux_model) == AUX5


def test_global_pooling_block_builds_serialises_and_sees_the_whole_board():
    block = GlobalPoolingResidual(8, 3, pooled_channels=3, name="g")
    block.build((None, 5, 5, 8))
    assert block.pool_conv.built and block.pool_dense.built and block.conv2.built
    again = GlobalPoolingResidual.from_config(block.get_config())
    assert again.get_config() == block.get_config() and again.pooled_channels == 3
    with pytest.raises(ValueError, match="pooled_channels must be a positive integer, got 0"):
        GlobalPoolingResidual(8, 3, pooled_channels=0)
    # A stone far away changes every point's output in one block (a 3x3 block alone
    # reaches 2 points): the pooled biases carry it.
    x = np.zeros((2, 5, 5, 8), np.float32)
    x[1, 4, 4, :] = 5.0
    keras.utils.set_random_seed(0)
    y = np.asarray(block(x, training=False))
    assert not np.allclose(y[0, 0, 0], y[1, 0, 0])


def test_save_load_round_trip_keeps_outputs(aux_model, tmp_path):
    path = tmp_path / "aux.keras"
    network.save_checkpoint(path, aux_model)
    loaded, meta = network.load_checkpoint(path)
    assert meta["network"] == AUX5.to_dict()
    assert network.network_config_of(loaded) == AUX5
    x = planes(*random_batch(AUX5, 4)[:2])
    before, after = aux_model(x, training=False), loaded(x, training=False)
    for key in before:
        np.testing.assert_allclose(np.asarray(after[key]), np.asarray(before[key]),
                                   atol=1e-5)


def test_evaluator_maps_ownership_back_through_its_symmetry(aux_model):
    boards, to_play, legal = random_batch(AUX5, 6, seed=3)
    plain = network.NetworkEvaluator(aux_model, AUX5, random_symmetry=False)
    randomised = network.NetworkEvaluator(aux_model, AUX5, seed=4)
    own, score = randomised.evaluate_auxiliary(boards, to_play)
    assert own.shape == (6, 5, 5) and score.shape == (6,)
    candidates = []
    for k in range(8):
        o, s = plain.evaluate_auxiliary(symmetry.transform_boards(boards, k), to_play)
        candidates.append((symmetry.inverse_boards(o, k), s))
    for i in range(6):
        assert any(np.allclose(own[i], o[i], atol=1e-5) and np.isclose(score[i], s[i],
                                                                        atol=1e-4)
                   for o, s in candidates), i
    priors, values = randomised.evaluate(boards, to_play, legal)  # the search's path
    assert priors.shape == (6, 26) and values.shape == (6,)


def test_losses_are_logged_weighted_and_skip_unknown_targets(aux_model):
    model = network.build_model(AUX5)
    model.set_weights(aux_model.get_weights())
    train = TrainConfig(batch_size=4, learning_rates=(1e-3,), lr_boundaries=(), l2=0.0,
                        ownership_loss_weight=1.5, score_loss_weight=0.5, augment=False)
    trainer = network.Trainer(model, AUX5, train, seed=0)
    boards, to_play, legal = random_batch(AUX5, 4)
    policy = legal / legal.sum(axis=1, keepdims=True)
    value = np.array([1, -1, 1, -1], np.float32)
    own = np.sign(np.random.default_rng(0).standard_normal((4, 5, 5))).astype(np.float32)
    own[2:] = np.nan  # two positions of resigned games
    score = np.array([3.5, -3.5, np.nan, np.nan], np.float32)
    # The outputs the update sees: batch statistics in the batch norms, no symmetry.
    out = model(planes(boards, to_play), training=True)
    logs = trainer.train_step(boards, to_play, policy, value, own, score)
    predicted_own = np.asarray(out["ownership"])
    expected_own = np.mean([np.mean((predicted_own[i] - own[i]) ** 2) for i in range(2)]
                           + [0.0, 0.0])
    expected_score = np.mean([(float(out["score"][i, 0]) - score[i]) ** 2 for i in range(2)]
                             + [0.0, 0.0])
    assert logs["ownership"] == pytest.approx(expected_own, rel=1e-3)
    assert logs["score"] == pytest.approx(expected_score, rel=1e-3)
    weighted = (logs["policy"] + logs["value"] + 1.5 * logs["ownership"]
                + 0.5 / 25 * logs["score"])
    assert logs["total"] == pytest.approx(weighted, rel=1e-4) and abs(logs["l2"]) < 1e-3
    unknown = trainer.train_step(boards, to_play, policy, value)  # no targets at all
    assert unknown["ownership"] == 0.0 and unknown["score"] == 0.0
    with pytest.raises(ValueError, match=r"ownership_target must be float32\[4, 5, 5\]"):
        trainer.train_step(boards, to_play, policy, value, own[:, :4])
    with pytest.raises(ValueError, match="ownership_target must be in"):
        trainer.train_step(boards, to_play, policy, value, own * 2)


def test_a_network_without_the_heads_still_loads_and_says_so(tmp_path):
    keras.utils.set_random_seed(3)
    config = NetworkConfig.tiny(5)
    path = tmp_path / "plain.keras"
    network.save_checkpoint(path, network.build_model(config))
    model, _ = network.load_checkpoint(path)
    assert network.network_config_of(model) == config
    assert not config.auxiliary_heads and config.global_pooling_every == 0
    evaluator = network.NetworkEvaluator(model, config, seed=0)
    boards, to_play, legal = random_batch(config, 2)
    priors, _ = evaluator.evaluate(boards, to_play, legal)
    assert priors.shape == (2, 26) and not evaluator.has_auxiliary_heads
    with pytest.raises(NoAuxiliaryHeadsError, match="has no ownership and score heads"):
        evaluator.evaluate_auxiliary(boards, to_play)
    # The trainer of a plain network ignores auxiliary targets it is given.
    trainer = network.Trainer(model, config, TrainConfig(batch_size=2), seed=0)
    logs = trainer.train_step(boards, to_play, legal / legal.sum(1, keepdims=True),
                              np.zeros(2, np.float32))
    assert "ownership" not in logs


def test_config_fields_are_checked_and_round_trip():
    assert NetworkConfig.from_dict(AUX5.to_dict()) == AUX5
    old = {k: v for k, v in NetworkConfig.tiny(5).to_dict().items()
           if k not in ("auxiliary_heads", "global_pooling_every", "pooled_channels")}
    assert not NetworkConfig.from_dict(old).auxiliary_heads  # configs written before
    with pytest.raises(ValueError, match="auxiliary_heads must be true or false, got 1"):
        NetworkConfig(auxiliary_heads=1)
    with pytest.raises(ValueError, match="global_pooling_every must be an integer"):
        NetworkConfig(global_pooling_every=-1)
    with pytest.raises(ValueError, match="ownership_loss_weight must be a finite number"):
        TrainConfig(ownership_loss_weight=float("nan"))
    every3 = NetworkConfig(blocks=6, global_pooling_every=3)
    assert [i for i in range(1, 7) if every3.is_global_pooling_block(i)] == [3, 6]
    assert network.PRESETS["cpu9"].auxiliary_heads
