"""Keras on JAX: the network's paths (model, compiled forward, evaluator, training step,
checkpoints) against TensorFlow on the same weights, in both directions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import network
from network import backend, precision
from network.config import NetworkConfig
from network.evaluator import bucket_size
from network.features import planes
from tests.network.conftest import random_batch

ROOT = Path(__file__).resolve().parents[3]

# Run under TensorFlow in a child process: check the JAX-saved checkpoint's outputs, then
# save one of its own with its outputs for the JAX side to check.
_TENSORFLOW_SIDE = textwrap.dedent("""
    import sys
    import keras, numpy as np
    import network
    from network import backend
    assert backend.backend_name() == "tensorflow", backend.backend_name()
    folder = sys.argv[1]
    data = np.load(folder + "/jax_outputs.npz")
    for name in ("float32", "bfloat16"):
        model, meta = network.load_checkpoint(folder + "/jax.keras", precision=name)
        forward, _ = backend.compiled_forward(model)
        logits, values = forward(data["x"])
        tol = 1e-4 if name == "float32" else 0.1
        np.testing.assert_allclose(logits, data["logits_" + name], atol=tol, rtol=tol)
        np.testing.assert_allclose(values, data["values_" + name], atol=tol, rtol=tol)
    keras.utils.set_random_seed(11)
    config = network.NetworkConfig.tiny(5)
    model = network.build_model(config)
    trainer = network.Trainer(model, config, seed=0)
    rng = np.random.default_rng(0)
    boards = rng.integers(-1, 2, (8, 2, 5, 5)).astype(np.int8)
    to_play = np.array([1, -1] * 4, np.int8)
    policy = np.full((8, 26), 1 / 26, np.float32)
    trainer.train_step(boards, to_play, policy, np.zeros(8, np.float32))
    network.save_checkpoint(folder + "/tf.keras", trainer.model, {"generation": 1})
    logits, values = backend.compiled_forward(trainer.model)[0](data["x"])
    np.savez(folder + "/tf_outputs.npz", logits=logits, values=values)
    print("tensorflow side ok")
""")


def test_backend_is_jax_on_cpu():
    assert backend.backend_name() == "jax" == keras.backend.backend()
    assert backend.device_description() == "cpu"


def test_outputs_agree_with_tensorflow_and_checkpoints_load_across(tmp_path):
    config = NetworkConfig.tiny(5)
    x = planes(*random_batch(config, 12, seed=3)[:2])
    keras.utils.set_random_seed(10)
    model = network.build_model(config)
    model(x, training=True)                 # moving statistics away from their start
    network.save_checkpoint(tmp_path / "jax.keras", model)
    saved = {"x": x}
    for name in ("float32", "bfloat16"):
        logits, values = backend.compiled_forward(precision.apply(model, name))[0](x)
        saved[f"logits_{name}"], saved[f"values_{name}"] = logits, values
    np.savez(tmp_path / "jax_outputs.npz", **saved)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _TENSORFLOW_SIDE, str(tmp_path)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "tensorflow side ok" in out.stdout
    # TensorFlow's trained checkpoint, optimizer state included, on JAX.
    loaded, meta = network.load_checkpoint(tmp_path / "tf.keras")
    assert meta["generation"] == 1
    expected = np.load(tmp_path / "tf_outputs.npz")
    logits, values = backend.compiled_forward(loaded)[0](x)
    np.testing.assert_allclose(logits, expected["logits"], atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(values, expected["values"], atol=1e-4, rtol=1e-4)
    trainer = network.Trainer(loaded, config, seed=0)
    assert trainer.step == 1
    boards, to_play, legal = random_batch(config, 8, seed=4)
    trainer.train_step(boards, to_play, legal / legal.sum(1, keepdims=True),
                       np.zeros(8, np.float32))
    assert trainer.step == 2


def test_evaluator_pads_to_buckets_and_compiles_once_per_bucket(tiny5, tiny5_model):
    evaluator = network.NetworkEvaluator(tiny5_model, tiny5, random_symmetry=False)
    reference, _ = backend.compiled_forward(tiny5_model)
    batches = (1, 2, 3, 7, 33, 64, 5, 6)
    for batch in batches:
        boards, to_play, legal = random_batch(tiny5, batch, seed=batch)
        priors, values = evaluator.evaluate(boards, to_play, legal)
        padded = np.zeros((bucket_size(batch), 5, 5, 5), np.float32)
        padded[:batch] = planes(boards, to_play)
        logits, expected_values = reference(padded)
        np.testing.assert_allclose(values, np.clip(expected_values[:batch], -1, 1),
                                   atol=1e-5)
        assert priors.shape == (batch, 26)
        np.testing.assert_allclose(priors.sum(axis=1), 1.0, atol=1e-5)
    assert evaluator.traces == len({bucket_size(b) for b in batches})


@pytest.mark.parametrize("name", ["float32", "bfloat16"])
def test_training_step_lowers_the_loss_on_jax(tiny5, name):
    keras.utils.set_random_seed(12)
    model = network.build_model(tiny5, name)
    trainer = network.Trainer(model, tiny5, network.TrainConfig(l2=0.0, augment=False),
                              seed=0)
    boards, to_play, legal = random_batch(tiny5, 32, seed=13)
    policy = legal / legal.sum(axis=1, keepdims=True)
    value = np.where(np.arange(32) % 2 == 0, 1.0, -1.0).astype(np.float32)
    first = trainer.train_step(boards, to_play, policy, value)["total"]
    for _ in range(40):
        last = trainer.train_step(boards, to_play, policy, value)["total"]
    assert last < 0.8 * first


def test_auxiliary_heads_and_global_pooling_run_on_jax(tmp_path):
    config = NetworkConfig(board_size=5, blocks=2, filters=8, history_length=2,
                           value_hidden=8, auxiliary_heads=True, global_pooling_every=1,
                           pooled_channels=4)
    keras.utils.set_random_seed(4)
    model = network.build_model(config)
    boards, to_play, legal = random_batch(config, 3)
    evaluator = network.NetworkEvaluator(model, config, seed=0)
    priors, values = evaluator.evaluate(boards, to_play, legal)
    own, score = evaluator.evaluate_auxiliary(boards, to_play)
    assert priors.shape == (3, 26) and own.shape == (3, 5, 5) and score.shape == (3,)
    trainer = network.Trainer(model, config, network.TrainConfig(batch_size=3), seed=0)
    logs = trainer.train_step(boards, to_play, legal / legal.sum(1, keepdims=True),
                              np.zeros(3, np.float32), np.sign(own), score)
    assert np.isfinite(logs["ownership"]) and np.isfinite(logs["score"])
    network.save_checkpoint(tmp_path / "aux.keras", trainer.model)
    loaded, _ = network.load_checkpoint(tmp_path / "aux.keras")
    x = planes(boards, to_play)
    np.testing.assert_allclose(np.asarray(loaded(x)["ownership"]),
                               np.asarray(trainer.model(x)["ownership"]), atol=1e-5)
