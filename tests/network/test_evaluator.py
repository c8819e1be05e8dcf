"""NetworkEvaluator: the Evaluator protocol over a real Keras model."""

from __future__ import annotations

import numpy as np
import pytest

import go
import network
from mcts.evaluator import Evaluator
from network import NetworkEvaluator, symmetry
from network.config import NetworkConfig
from network.evaluator import bucket_size, masked_softmax
from network.features import planes
from tests.network.conftest import random_batch


def test_priors_are_zero_on_illegal_moves_and_sum_to_one(tiny5, tiny5_model):
    evaluator = NetworkEvaluator(tiny5_model, tiny5, seed=0)
    assert isinstance(evaluator, Evaluator)
    assert (evaluator.board_size, evaluator.history_length) == (5, 2)
    boards, to_play, legal = random_batch(tiny5, 12, seed=1)
    legal[3] = False
    legal[3, -1] = True                       # only pass is legal
    legal[4] = False                          # nothing legal: a finished game
    priors, values = evaluator.evaluate(boards, to_play, legal)
    assert priors.dtype == np.float32 and values.dtype == np.float32
    assert priors.shape == (12, 26) and values.shape == (12,)
    assert np.all(priors[~legal] == 0)
    rows = [i for i in range(12) if i != 4]
    np.testing.assert_allclose(priors[rows].sum(axis=1), 1.0, atol=1e-5)
    assert priors[3, -1] == pytest.approx(1.0) and np.all(priors[4] == 0)
    assert np.all(np.abs(values) <= 1)


def test_without_symmetry_it_is_the_models_softmax(tiny5, tiny5_model):
    evaluator = NetworkEvaluator(tiny5_model, tiny5, random_symmetry=False)
    boards, to_play, legal = random_batch(tiny5, 6, seed=2)
    priors, values = evaluator.evaluate(boards, to_play, legal)
    out = tiny5_model(planes(boards, to_play), training=False)
    logits = np.asarray(out["policy"], np.float64)
    expected = np.where(legal, np.exp(logits - logits.max(axis=1, keepdims=True)), 0)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(priors, expected, atol=1e-5)
    np.testing.assert_allclose(values, np.asarray(out["value"])[:, 0], atol=1e-5)


def test_random_symmetry_maps_the_policy_back(tiny5, tiny5_model):
    """Each row must equal the model evaluated under some symmetry k, mapped back by k^-1."""
    evaluator = NetworkEvaluator(tiny5_model, tiny5, seed=3)
    boards, to_play, legal = random_batch(tiny5, 1, seed=4)
    batch = 48
    priors, values = evaluator.evaluate(
        np.repeat(boards, batch, 0), np.repeat(to_play, batch), np.repeat(legal, batch, 0))
    candidates = []
    for k in range(8):
        out = tiny5_model(planes(symmetry.transform_boards(boards, k), to_play), training=False)
        logits = symmetry.inverse_policy(np.asarray(out["policy"]), k, 5)
        candidates.append((masked_softmax(logits, legal)[0], float(out["value"][0, 0])))
    used = set()
    for row in range(batch):
        matches = [k for k, (p, v) in enumerate(candidates)
                   if np.allclose(priors[row], p, atol=1e-5) and abs(values[row] - v) < 1e-5]
        assert matches, f"row {row} matches no symmetry"
        used.update(matches)
    assert len(used) >= 4, f"symmetries drawn: {sorted(used)}"


def test_no_retracing_across_batch_sizes(tiny5, tiny5_model):
    evaluator = NetworkEvaluator(tiny5_model, tiny5, seed=5)
    for batch in (1, 2, 3, 7, 33, 64, 5):
        priors, _ = evaluator.evaluate(*random_batch(tiny5, batch, seed=batch))
        assert priors.shape == (batch, 26)
    assert evaluator.traces == 1
    empty = evaluator.evaluate(*random_batch(tiny5, 0))
    assert empty[0].shape == (0, 26) and empty[1].shape == (0,)


def test_padded_batches_give_the_same_answers(tiny5, tiny5_model):
    plain = NetworkEvaluator(tiny5_model, tiny5, random_symmetry=False, pad_batches=False)
    padded = NetworkEvaluator(tiny5_model, tiny5, random_symmetry=False, pad_batches=True)
    batch = random_batch(tiny5, 5, seed=6)
    for a, b in zip(plain.evaluate(*batch), padded.evaluate(*batch), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert [bucket_size(b) for b in (1, 2, 3, 5, 64, 65)] == [1, 2, 4, 8, 64, 128]


def test_evaluates_real_positions_and_takes_new_weights(tiny5):
    model_a = network.build_model(tiny5)
    model_b = network.build_model(tiny5)
    evaluator = NetworkEvaluator(model_a, tiny5, random_symmetry=False)
    position = go.Position.new(5).play(12).play(7)
    batch = (position.recent_boards(2)[None], np.array([position.to_play], np.int8),
             position.legal_moves()[None])
    before = evaluator.evaluate(*batch)
    assert before[0][0, 12] == 0 and before[0][0, 7] == 0      # occupied points
    evaluator.set_weights(model_b.get_weights())
    after = evaluator.evaluate(*batch)
    reference = NetworkEvaluator(model_b, tiny5, random_symmetry=False).evaluate(*batch)
    np.testing.assert_allclose(after[0], reference[0], atol=1e-6)
    assert not np.allclose(after[0], before[0])
    assert evaluator.traces == 1


def test_refuses_mismatched_models_and_inputs(tiny5, tiny5_model):
    with pytest.raises(ValueError, match=r"needs \(None, 7, 7, 5\)"):
        NetworkEvaluator(tiny5_model, NetworkConfig.tiny(7))
    evaluator = NetworkEvaluator(tiny5_model, tiny5)
    boards, to_play, legal = random_batch(tiny5, 2)
    with pytest.raises(ValueError, match=r"boards must be int8\[B, 2, 5, 5\].*\[2, 3, 5, 5\]"):
        evaluator.evaluate(np.zeros((2, 3, 5, 5), np.int8), to_play, legal)
    with pytest.raises(ValueError, match=r"legal must be bool\[2, 26\]"):
        evaluator.evaluate(boards, to_play, legal[:, :-1])
    with pytest.raises(ValueError, match=r"to_play must be int8\[2\]"):
        evaluator.evaluate(boards, to_play[:1], legal)
