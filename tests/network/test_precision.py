"""Precision per model: bfloat16 / float16 next to float32, accuracy, checkpoints, training,
and the measured choice. Backend-agnostic: also run under ``KERAS_BACKEND=jax``."""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest

import network
from go.position import Position
from network import backend, precision
from network.config import NetworkConfig, TrainConfig
from network.features import planes
from network.precision import PrecisionError
from tests.network.conftest import random_batch


def game_positions(size: int, history: int, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Positions from go/: 96 random legal positions at every depth of 16 random games,
    plus every 8th position of 2 random games played to their end (two passes or the move
    cap). Returns ``(boards int8[B, H, N, N], to_play int8[B])``."""
    rng = np.random.default_rng(seed)
    chosen: list[Position] = []
    for game in range(18):
        position = Position.new(size, max_moves=3 * size * size)
        played_out = game >= 16
        line = []
        while not position.is_over():
            legal = np.flatnonzero(position.legal_moves())
            stones = legal[legal != position.pass_move]
            moves = stones if len(stones) and rng.random() > 0.05 else legal
            position = position.play(int(rng.choice(moves)))
            line.append(position)
            if not played_out and len(line) >= size * size:
                break
        if played_out:
            chosen.extend(line[::8])
        else:
            chosen.extend(line[int(i)] for i in rng.choice(len(line), 6, replace=False))
    boards = np.stack([p.recent_boards(history) for p in chosen])
    to_play = np.array([p.to_play for p in chosen], np.int8)
    return boards, to_play


def calibrated_model(config: NetworkConfig, x: np.ndarray, seed: int = 3):
    """A float32 model whose batch-norm statistics are those of ``x`` (as after training),
    so activations and values are in their working range rather than saturated; its
    value's last kernel (zero in an untrained network) is random, scaled down until the
    values are spread over [-1, 1] without saturating."""
    keras.utils.set_random_seed(seed)
    fast = NetworkConfig.from_dict({**config.to_dict(), "bn_momentum": 0.01})
    model = network.build_model(fast)
    for _ in range(5):
        model(x, training=True)
    kernel = model.layers[-1].value_dense.kernel
    random = np.random.default_rng(seed).standard_normal(tuple(kernel.shape))
    for scale in (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001):
        kernel.assign(random.astype(np.float32) * scale)
        if np.abs(np.asarray(model(x[:64], training=False)["value"])).mean() < 0.6:
            break
    return model


def outputs(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    forward, _ = backend.compiled_forward(model)
    return forward(x)


def test_unknown_precision_is_refused_by_name(tiny5):
    with pytest.raises(PrecisionError, match="precision must be one of .*got 'fp8'"):
        network.build_model(tiny5, "fp8")
    with pytest.raises(PrecisionError, match="got 'half'"):
        precision.choose_precision(tiny5, forced="half")
    with pytest.raises(ValueError, match="batch must be a positive integer, got 0"):
        precision.choose_precision(tiny5, batch=0)
    assert issubclass(PrecisionError, ValueError)


def test_one_process_holds_float32_and_bfloat16_models(tiny5):
    f32 = network.build_model(tiny5)
    bf16 = network.build_model(tiny5, "bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"
    assert precision.precision_of(f32) == "float32"
    assert precision.precision_of(bf16) == "bfloat16"
    residual = bf16.get_layer("residual_1")
    heads = bf16.get_layer("heads")
    for layer in (bf16.get_layer("stem_conv"), residual.conv1, residual.bn2,
                  heads.policy_dense, heads.value_dense):
        assert layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32"
    assert f32.get_layer("residual_1").conv1.compute_dtype == "float32"
    # Weights are float32 in both and interchangeable.
    assert [w.shape for w in f32.get_weights()] == [w.shape for w in bf16.get_weights()]
    assert all(w.dtype == np.float32 for w in bf16.get_weights())
    bf16.set_weights(f32.get_weights())
    x = planes(*random_batch(tiny5, 4)[:2])
    out = bf16(x, training=False)
    assert keras.backend.standardize_dtype(out["policy"].dtype) == "float32"
    assert keras.backend.standardize_dtype(out["value"].dtype) == "float32"
    # The layers' configs carry their policy, so the model re-serialises as it was.
    clone = keras.Sequential.from_config(bf16.get_config())
    assert precision.precision_of(clone) == "bfloat16"
    assert clone.get_layer("residual_1").conv1.compute_dtype == "bfloat16"
    # An explicit precision wins over Keras' process-wide policy; None follows it.
    try:
        backend.configure(mixed_precision="mixed_bfloat16")
        assert precision.precision_of(network.build_model(tiny5, "float32")) == "float32"
        assert precision.precision_of(network.build_model(tiny5)) == "bfloat16"
    finally:
        backend.configure()


@pytest.mark.parametrize("low", ["bfloat16", "float16"])
def test_low_precision_outputs_stay_within_bounds_on_game_positions(low):
    config = NetworkConfig(board_size=9, blocks=6, filters=64, history_length=8)
    boards, to_play = game_positions(9, 8)
    x = planes(boards, to_play)
    assert len(x) >= 100
    model = calibrated_model(config, x)
    logits32, values32 = outputs(model, x)
    assert 0.1 < np.abs(values32).mean() < 0.95, "values saturated: the check would be blind"
    logits, values = outputs(precision.apply(model, low), x)
    divergence = precision.output_divergence(logits32, values32, logits, values)
    assert precision.within_bounds(divergence), divergence
    assert divergence["policy_kl_mean"] > 0, "the low-precision model ran in float32"
    # The bounds can fail: a model with other weights is far outside them.
    keras.utils.set_random_seed(99)
    other = network.build_model(config)
    for _ in range(5):
        other(x, training=True)
    assert not precision.within_bounds(precision.output_divergence(
        logits32, values32, *outputs(other, x)))


def test_checkpoint_is_float32_on_disk_and_loads_in_either_precision(tiny5, tmp_path):
    x = planes(*random_batch(tiny5, 8, seed=4)[:2])
    keras.utils.set_random_seed(5)
    bf16 = network.build_model(tiny5, "bfloat16")
    path = tmp_path / "bf16.keras"
    meta = network.save_checkpoint(path, bf16)
    assert meta["precision"] == "bfloat16"
    h5py = pytest.importorskip("h5py")
    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path)
    dtypes = set()
    with h5py.File(tmp_path / "model.weights.h5") as f:
        f.visititems(lambda _, obj: dtypes.add(str(obj.dtype))
                     if isinstance(obj, h5py.Dataset) else None)
    assert dtypes == {"float32"}

    as_saved, _ = network.load_checkpoint(path)
    assert precision.precision_of(as_saved) == "bfloat16"
    np.testing.assert_array_equal(outputs(as_saved, x)[0], outputs(bf16, x)[0])
    as_f32, _ = network.load_checkpoint(path, precision="float32")
    assert precision.precision_of(as_f32) == "float32"
    reference = network.build_model(tiny5)
    reference.set_weights(bf16.get_weights())
    np.testing.assert_allclose(outputs(as_f32, x)[0], outputs(reference, x)[0], atol=1e-5)

    network.save_checkpoint(tmp_path / "f32.keras", reference)
    back, meta32 = network.load_checkpoint(tmp_path / "f32.keras", precision="bfloat16")
    assert meta32["precision"] == "float32" and precision.precision_of(back) == "bfloat16"
    np.testing.assert_array_equal(outputs(back, x)[0], outputs(bf16, x)[0])
    with pytest.raises(PrecisionError, match="got 'bf16'"):
        network.load_checkpoint(path, precision="bf16")


def _batch(config: NetworkConfig, size: int, seed: int):
    boards, to_play, legal = random_batch(config, size, seed)
    policy = legal / legal.sum(axis=1, keepdims=True)
    value = np.where(np.arange(size) % 3 == 0, 1.0, -1.0).astype(np.float32)
    return boards, to_play, policy, value


def test_trainer_changes_precision_and_keeps_optimizer_state(tiny5, tmp_path):
    keras.utils.set_random_seed(6)
    model = network.build_model(tiny5)
    trainer = network.Trainer(model, tiny5, TrainConfig(l2=0.0), seed=0)
    batch = _batch(tiny5, 16, seed=7)
    for _ in range(3):
        trainer.train_step(*batch)
    network.save_checkpoint(tmp_path / "t.keras", trainer.model)
    loaded, _ = network.load_checkpoint(tmp_path / "t.keras")
    resumed = network.Trainer(loaded, tiny5, TrainConfig(l2=0.0), seed=0,
                              precision="bfloat16")
    assert precision.precision_of(resumed.model) == "bfloat16"
    assert resumed.step == 3
    logs = resumed.train_step(*batch)
    assert resumed.step == 4 and np.isfinite(logs["total"])
    with pytest.raises(PrecisionError, match="float16 would need loss scaling"):
        network.Trainer(network.build_model(tiny5), tiny5, precision="float16")


def test_bfloat16_training_learns_like_float32(tiny5):
    """The same 60 updates from the same weights on a fixed task: bfloat16 lowers the
    loss about as far as float32 does."""
    batch = _batch(tiny5, 32, seed=8)
    keras.utils.set_random_seed(9)
    weights = network.build_model(tiny5).get_weights()
    final = {}
    for name in ("float32", "bfloat16"):
        model = network.build_model(tiny5, name)
        model.set_weights(weights)
        trainer = network.Trainer(model, tiny5, TrainConfig(l2=0.0, augment=False), seed=0)
        first = trainer.train_step(*batch)["total"]
        for _ in range(60):
            last = trainer.train_step(*batch)["total"]
        final[name] = (first, last)
    (f32_first, f32_last), (bf_first, bf_last) = final["float32"], final["bfloat16"]
    assert abs(bf_first - f32_first) < 0.02 * f32_first
    assert f32_last < 0.7 * f32_first
    assert bf_last - f32_last < 0.1 * (f32_first - f32_last), final


def test_choose_precision_forced_or_measured(tiny5):
    forced = precision.choose_precision(tiny5, forced="bfloat16")
    assert forced.precision == "bfloat16" and forced.forced and forced.rates == {}
    measured = precision.choose_precision(tiny5, batch=16, budget_s=0.05)
    assert not measured.forced and measured.device == backend.device_description()
    assert set(measured.rates) == {"float32", "bfloat16"}
    assert all(rate > 0 for rate in measured.rates.values())
    assert precision.within_bounds(measured.divergence["bfloat16"])
    ratio = measured.rates["bfloat16"] / measured.rates["float32"]
    assert measured.precision == ("bfloat16" if ratio >= 1.1 else "float32")
    assert measured.precision in measured.describe()
    # The rule, with the speed taken out: no margin picks the low precision, a huge one
    # keeps float32.
    assert precision.choose_precision(tiny5, batch=8, budget_s=0.01,
                                      margin=0.0).precision == "bfloat16"
    assert precision.choose_precision(tiny5, batch=8, budget_s=0.01,
                                      margin=1e9).precision == "float32"
    record = measured.to_dict()
    assert record["backend"] == backend.backend_name() and record["batch"] == 16
