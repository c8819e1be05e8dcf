"""Trainer: losses line up with targets (a tiny net overfits), L2, schedule, augmentation."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import go
import network
from network import NetworkEvaluator, Trainer, symmetry
from network.config import NetworkConfig, TrainConfig
from network.features import planes


def game_positions(size: int, count: int, history: int, seed: int):
    """``count`` positions from random legal games, with one-hot policy and ±1 value targets."""
    rng = np.random.default_rng(seed)
    boards, to_play, policy, value = [], [], [], []
    position = go.Position.new(size)
    while len(boards) < count:
        legal = np.flatnonzero(position.legal_moves()[:-1])
        if len(legal) < 3:
            position = go.Position.new(size)
            continue
        target = np.zeros(size * size + 1, np.float32)
        target[rng.choice(legal)] = 1.0
        boards.append(position.recent_boards(history))
        to_play.append(position.to_play)
        policy.append(target)
        value.append(rng.choice([-1.0, 1.0]))
        position = position.play(int(rng.choice(legal)))
    return (np.array(boards, np.int8), np.array(to_play, np.int8),
            np.array(policy, np.float32), np.array(value, np.float32))


def test_a_tiny_network_overfits_a_handful_of_positions():
    keras.utils.set_random_seed(0)
    config = NetworkConfig(board_size=5, blocks=1, filters=16, history_length=2,
                           value_hidden=16, bn_momentum=0.5)
    model = network.build_model(config)
    trainer = Trainer(model, config, TrainConfig(learning_rates=(0.05,), lr_boundaries=(),
                                                 augment=False), seed=0)
    boards, to_play, policy, value = game_positions(5, 8, 2, seed=1)
    first = trainer.train_step(boards, to_play, policy, value)
    assert set(first) == {"total", "policy", "value", "l2", "policy_entropy", "learning_rate"}
    assert all(isinstance(v, float) for v in first.values())
    for _ in range(150):
        last = trainer.train_step(boards, to_play, policy, value)
    assert last["total"] * 10 <= first["total"], (first, last)
    assert last["policy"] < 0.2 and last["value"] < 0.05
    assert last["policy_entropy"] < first["policy_entropy"]
    # The evaluator reads what was learned: the target move and the result's sign, from the
    # point of view of the player to move.
    priors, values = NetworkEvaluator(model, config, random_symmetry=False).evaluate(
        boards, to_play, np.ones_like(policy, bool))
    np.testing.assert_array_equal(priors.argmax(axis=1), policy.argmax(axis=1))
    np.testing.assert_array_equal(np.sign(values), value)


def test_losses_match_hand_computation(tiny5):
    keras.utils.set_random_seed(1)
    model = network.build_model(tiny5)
    l2 = 1e-3
    trainer = Trainer(model, tiny5, TrainConfig(l2=l2, value_loss_weight=0.5, augment=False))
    boards, to_play, policy, value = game_positions(5, 6, 2, seed=2)
    policy[:, :-1] = 0.5 / 25                                   # soft targets
    policy[:, -1] = 0.5
    kernels = [v for v in model.trainable_variables if v.path.endswith("kernel")]
    expected_l2 = l2 * sum(float(np.sum(np.square(v.numpy()))) for v in kernels)
    out = model(planes(boards, to_play), training=True)
    log_p = np.asarray(keras.ops.log_softmax(out["policy"]), np.float64)
    expected_policy = float(np.mean(-np.sum(policy * log_p, axis=1)))
    expected_value = float(np.mean((value - np.asarray(out["value"])[:, 0]) ** 2))
    expected_entropy = float(np.mean(-np.sum(np.exp(log_p) * log_p, axis=1)))
    losses = trainer.train_step(boards, to_play, policy, value)
    assert losses["l2"] == pytest.approx(expected_l2, rel=1e-3)
    assert losses["policy"] == pytest.approx(expected_policy, rel=1e-4)
    assert losses["value"] == pytest.approx(expected_value, rel=1e-4)
    assert losses["policy_entropy"] == pytest.approx(expected_entropy, rel=1e-4)
    assert losses["total"] == pytest.approx(
        expected_policy + 0.5 * expected_value + expected_l2, rel=1e-4)


def test_step_learning_rate_schedule(tiny5):
    model = network.build_model(tiny5)
    trainer = Trainer(model, tiny5, TrainConfig(learning_rates=(0.1, 0.01, 0.001),
                                                lr_boundaries=(2, 3), augment=False))
    batch = game_positions(5, 4, 2, seed=3)
    seen = []
    for step in range(4):
        assert trainer.step == step
        optimizer_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        assert optimizer_rate == pytest.approx(trainer.learning_rate)
        seen.append(trainer.train_step(*batch)["learning_rate"])
    assert seen == [0.1, 0.1, 0.01, 0.001]
    assert model.optimizer.momentum == 0.9


def test_augmentation_moves_boards_and_policy_together(tiny5):
    trainer = Trainer(network.build_model(tiny5), tiny5, TrainConfig(), seed=7)
    boards, to_play, policy, value = game_positions(5, 32, 2, seed=4)
    new_boards, new_policy, ks = trainer.augment(boards, policy)
    assert len(set(ks.tolist())) >= 4
    for i, k in enumerate(ks):
        np.testing.assert_array_equal(new_boards[i], symmetry.transform_boards(boards[i], k))
        assert new_policy[i].argmax() == symmetry.transform_move(int(policy[i].argmax()), k, 5)
    losses = trainer.train_step(boards, to_play, policy, value)
    assert np.isfinite(losses["total"])


def test_refuses_bad_targets(tiny5):
    trainer = Trainer(network.build_model(tiny5), tiny5, TrainConfig(augment=False))
    boards, to_play, policy, value = game_positions(5, 3, 2, seed=5)
    with pytest.raises(ValueError, match="value_target must be in"):
        trainer.train_step(boards, to_play, policy, value * 3)
    with pytest.raises(ValueError, match="rows must be non-negative and sum to 1"):
        trainer.train_step(boards, to_play, policy * 2, value)
    with pytest.raises(ValueError, match=r"policy_target must be float32\[3, 26\]"):
        trainer.train_step(boards, to_play, policy[:, :-1], value)
    with pytest.raises(ValueError, match=r"needs \(None, 7, 7, 5\)"):
        Trainer(network.build_model(tiny5), NetworkConfig.tiny(7))


def test_the_policy_loss_counts_only_masked_in_positions():
    config = NetworkConfig(board_size=5, blocks=1, filters=8, history_length=2,
                           value_hidden=8)
    train = TrainConfig(learning_rates=(0.05,), lr_boundaries=(), augment=False, l2=0.0)
    boards, to_play, policy, value = game_positions(5, 8, 2, seed=3)
    mask = np.array([True, False] * 4)
    other = policy.copy()
    other[~mask] = np.roll(policy[~mask], 1, axis=1)  # other targets where masked out
    keras.utils.set_random_seed(0)
    first = network.build_model(config)
    # the loss is taken in training mode (batch statistics)
    logits = np.asarray(first(planes(boards, to_play), training=True)["policy"],
                        np.float64)
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    cross_entropy = -(policy * log_p).sum(axis=1)
    model = network.build_model(config)
    trainer = Trainer(model, config, train, seed=0)  # compiled once for the three steps
    start = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    weights = []
    for target, m in ((policy, mask), (other, mask), (other, None)):
        model.set_weights(first.get_weights())
        for variable, fresh in zip(model.optimizer.variables, start, strict=True):
            variable.assign(fresh)  # step 0, no momentum
        logs = trainer.train_step(boards, to_play, target, value, policy_mask=m)
        if m is not None:
            # reported: the mean over the masked-in positions; minimised: half of it
            assert logs["policy"] == pytest.approx(cross_entropy[mask].mean(), rel=1e-4)
            assert logs["total"] == pytest.approx(
                logs["policy"] / 2 + train.value_loss_weight * logs["value"], rel=1e-4)
        weights.append(model.get_weights())
    # the masked-out rows' targets change nothing; unmasked, they change the update
    for a, b in zip(weights[0], weights[1], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert any(not np.allclose(a, c, atol=1e-6)
               for a, c in zip(weights[0], weights[2], strict=True))
    with pytest.raises(ValueError, match="policy_mask must be bool"):
        trainer.train_step(boards, to_play, policy, value, policy_mask=np.ones(3, bool))


def test_positions_masked_out_of_the_policy_give_its_branch_no_gradient():
    """Every row masked out: the policy branch (its conv, batch norm and dense layer) gets
    no update at all. TensorFlow's fused softmax cross-entropy gave a zero target row the
    gradient ``softmax``, which pushed every logit down at each step; with three rows in
    four masked out (playout cap randomization) the 9x9 policy diverged within ~60 steps."""
    config = NetworkConfig(board_size=5, blocks=1, filters=8, history_length=2,
                           value_hidden=8)
    train = TrainConfig(learning_rates=(0.05,), lr_boundaries=(), augment=False, l2=0.0)
    boards, to_play, policy, value = game_positions(5, 8, 2, seed=4)
    keras.utils.set_random_seed(0)
    model = network.build_model(config)
    trainer = Trainer(model, config, train, seed=0)
    head = model.layers[-1]
    branch = [head.policy_conv, head.policy_bn, head.policy_dense]
    before = [np.array(w) for layer in branch for w in layer.trainable_weights]
    trunk_before = [np.array(w) for w in model.layers[0].trainable_weights]
    for _ in range(3):
        trainer.train_step(boards, to_play, policy, value, policy_mask=np.zeros(8, bool))
    after = [np.array(w) for layer in branch for w in layer.trainable_weights]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    # the value loss still trains the trunk
    assert any(not np.array_equal(a, np.array(b)) for a, b in
               zip(trunk_before, model.layers[0].trainable_weights, strict=True))
