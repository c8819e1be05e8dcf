"""Batch-norm recalibration: inference then normalises as training does on those batches."""

import numpy as np

from network import NetworkConfig, build_model
from network.batch_norm import batch_norm_layers, recalibrate_batch_norm


def _planes(rng: np.random.Generator, batch: int, config: NetworkConfig) -> np.ndarray:
    n = config.board_size
    return (rng.random((batch, n, n, config.input_planes)) < 0.3).astype(np.float32)


def test_after_recalibrating_on_one_batch_inference_matches_training_mode_on_it():
    config = NetworkConfig.tiny(board_size=5)
    model = build_model(config)
    x = _planes(np.random.default_rng(0), 32, config)
    trained = model(x, training=True)["policy"].numpy()
    before = model(x, training=False)["policy"].numpy()
    assert np.abs(before - trained).max() > 0.05  # the initial statistics (0, 1) are off
    assert recalibrate_batch_norm(model, [x, x]) == 2
    after = model(x, training=False)["policy"].numpy()
    np.testing.assert_allclose(after, trained, atol=2e-3)


def test_the_statistics_are_the_plain_mean_over_the_batches_and_momentum_is_restored():
    config = NetworkConfig.tiny(board_size=5)
    model = build_model(config)
    rng = np.random.default_rng(1)
    batches = [_planes(rng, 16, config) for _ in range(3)]
    stem = batch_norm_layers(model)[0]
    assert stem.name == "stem_bn"
    # the stem convolution's outputs: the stem batch norm's inputs
    conv = model.get_layer("stem_conv")
    means = [conv(b).numpy().mean(axis=(0, 1, 2)) for b in batches]
    variances = [conv(b).numpy().var(axis=(0, 1, 2)) for b in batches]
    recalibrate_batch_norm(model, batches)
    np.testing.assert_allclose(stem.moving_mean.numpy(), np.mean(means, axis=0), atol=1e-5)
    np.testing.assert_allclose(stem.moving_variance.numpy(), np.mean(variances, axis=0),
                               rtol=1e-4, atol=1e-5)
    assert all(layer.momentum == config.bn_momentum for layer in batch_norm_layers(model))
    assert len(batch_norm_layers(model)) == 1 + 2 * config.blocks + 2  # stem, blocks, heads


def test_no_batches_leave_the_statistics_unchanged():
    model = build_model(NetworkConfig.tiny(board_size=5))
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    assert recalibrate_batch_norm(model, []) == 0
    for old, new in zip(before, model.non_trainable_variables, strict=True):
        np.testing.assert_array_equal(old, new.numpy())
