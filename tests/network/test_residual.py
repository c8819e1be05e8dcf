"""The Residual layer, tested the way Keras tests its own layers."""

from __future__ import annotations

import io
import logging
import re
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from network import Residual


def _summary_counts(model: keras.Model) -> dict[str, int]:
    out = io.StringIO()
    model.summary(print_fn=lambda line, **_: out.write(line + "\n"))
    counts = {}
    for kind in ("Total", "Trainable", "Non-trainable"):
        match = re.search(rf"{kind} params: ([\d,]+)", out.getvalue())
        counts[kind] = int(match.group(1).replace(",", ""))
    return counts


def _tower(channels: int = 8, blocks: int = 2, size: int = 5) -> keras.Sequential:
    model = keras.Sequential()
    model.add(keras.Input(shape=(size, size, channels)))
    for _ in range(blocks):
        model.add(Residual(channels, (3, 3)))
    return model


def test_output_shape_in_sequential_and_functional_models():
    x = np.random.default_rng(0).random((2, 6, 6, 8)).astype(np.float32)
    model = _tower(8, 2, 6)
    assert tuple(model(x).shape) == (2, 6, 6, 8)
    inputs = keras.Input(shape=(6, 6, 4))
    block = Residual(8, 3, projection=True)
    outputs = keras.layers.GlobalAveragePooling2D()(Residual(8, (5, 5))(block(inputs)))
    functional = keras.Model(inputs, outputs)
    assert tuple(functional(x[..., :4]).shape) == (2, 8)
    assert block.compute_output_shape((None, 6, 6, 4)) == (None, 6, 6, 8)


def test_summary_counts_equal_the_hand_computed_count():
    filters, k, blocks = 8, 3, 2
    model = _tower(filters, blocks)
    # Per block: two bias-free k x k kernels, two BN (gamma, beta trainable; mean, var not).
    trainable = blocks * (2 * k * k * filters * filters + 2 * 2 * filters)
    non_trainable = blocks * (2 * 2 * filters)
    assert _summary_counts(model) == {"Total": trainable + non_trainable,
                                      "Trainable": trainable, "Non-trainable": non_trainable}
    block = model.layers[0]
    assert sum(int(np.prod(w.shape)) for w in block.trainable_weights) == trainable // blocks
    # With a projection: + a 1x1 kernel (4 -> 8) and its BN.
    projected = keras.Sequential([keras.Input(shape=(5, 5, 4)), Residual(8, 3, projection=True)])
    assert _summary_counts(projected)["Total"] == (
        9 * 4 * 8 + 9 * 8 * 8 + 4 * 8 * 2 + 4 * 8 + 4 * 8)


def test_get_config_round_trip():
    layer = Residual(12, (5, 5), projection=True, bn_momentum=0.9, name="block")
    config = layer.get_config()
    assert config["filters"] == 12 and tuple(config["kernel_size"]) == (5, 5)
    assert config["projection"] is True and config["bn_momentum"] == 0.9
    clone = Residual.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, Residual) and restored.get_config() == config


def test_saved_model_round_trip_identical_outputs_and_no_warnings(tmp_path, caplog):
    keras.utils.set_random_seed(3)
    model = _tower(8, 2)
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).random((4, 5, 5, 8)).astype(np.float32)
    model.fit(x, x, epochs=1, verbose=0)          # non-trivial BN statistics
    path = tmp_path / "tower.keras"
    model.save(path)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        restored = keras.saving.load_model(path, safe_mode=True)
        outputs = restored.predict_on_batch(x)
    relevant = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    assert relevant == [], [str(w.message) for w in relevant]
    assert caplog.records == [], [r.getMessage() for r in caplog.records]
    np.testing.assert_array_equal(outputs, model.predict_on_batch(x))
    assert [type(layer) for layer in restored.layers] == [Residual, Residual]


def test_gradients_flow_through_the_skip_connection():
    block = Residual(4, 3)
    x = tf.constant(np.random.default_rng(2).normal(size=(2, 5, 5, 4)).astype(np.float32))
    block(x)
    # Silence the residual branch: zero second kernel and BN shift -> block(x) = relu(x).
    block.conv2.kernel.assign(tf.zeros_like(block.conv2.kernel))
    block.bn2.beta.assign(tf.zeros_like(block.bn2.beta))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = block(x, training=False)
        total = tf.reduce_sum(y)
    np.testing.assert_allclose(y.numpy(), np.maximum(x.numpy(), 0), atol=1e-6)
    grad = tape.gradient(total, x).numpy()
    np.testing.assert_array_equal(grad, (x.numpy() > 0).astype(np.float32))


def test_gradients_reach_every_weight_of_a_deep_tower():
    keras.utils.set_random_seed(4)
    model = _tower(4, 12)
    x = tf.constant(np.random.default_rng(3).normal(size=(3, 5, 5, 4)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    assert len(grads) == len(model.trainable_variables) == 12 * 6
    first_kernel = grads[0].numpy()
    assert np.all(np.isfinite(first_kernel)) and np.abs(first_kernel).max() > 0
    assert all(g is not None and np.abs(g.numpy()).max() > 0 for g in grads)


@pytest.mark.parametrize("args, message", [
    ((0, 3), "filters must be a positive integer, got 0"),
    ((-4, 3), "filters must be a positive integer, got -4"),
    ((8.0, 3), "filters must be a positive integer, got 8.0"),
    ((8, 2), "kernel_size must be odd in both dimensions.*got 2"),
    ((8, (3, 4)), r"kernel_size must be odd in both dimensions.*got \(3, 4\)"),
    ((8, 0), "kernel_size must be positive, got 0"),
    ((8, "3x3"), "kernel_size must be an int or a pair of ints, got '3x3'"),
])
def test_bad_arguments_are_refused_by_name(args, message):
    with pytest.raises(ValueError, match=message):
        Residual(*args)


def test_channel_mismatch_is_refused_without_projection():
    model = keras.Sequential([keras.Input(shape=(5, 5, 3))])
    with pytest.raises(ValueError, match=r"Residual\(filters=8\) got an input with 3 channels"
                                         r".*projection=True"):
        model.add(Residual(8, 3))
    same = Residual(8, 3, projection=True)
    same.build((None, 5, 5, 8))
    assert same.skip_conv is None          # identity skip when the counts already match
