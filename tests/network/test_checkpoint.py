"""Checkpoints: round trip with optimizer state, metadata, atomic writes, every refusal."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

import network
from network import CheckpointError, Trainer, load_checkpoint, save_checkpoint
from network.checkpoint import metadata_path, read_metadata
from network.config import NetworkConfig, TrainConfig
from network.features import planes
from tests.network.test_training import game_positions


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny5 model trained 3 steps, saved as generation 2; plus the trainer and batch."""
    keras.utils.set_random_seed(5)
    config = NetworkConfig.tiny(5)
    model = network.build_model(config)
    trainer = Trainer(model, config, TrainConfig(learning_rates=(0.02,), lr_boundaries=(),
                                                 augment=False))
    batch = game_positions(5, 8, 2, seed=6)
    for _ in range(3):
        trainer.train_step(*batch)
    path = tmp_path_factory.mktemp("ckpt") / "gen-0002.keras"
    meta = save_checkpoint(path, model, {"generation": 2, "parent": "gen-0001.keras",
                                         "training_steps": 3, "elo": None})
    return path, meta, model, trainer, batch, config


def test_round_trip_outputs_metadata_and_no_leftovers(trained, caplog):
    path, meta, model, _, batch, config = trained
    assert sorted(p.name for p in path.parent.iterdir()) == ["gen-0002.keras",
                                                             "gen-0002.keras.json"]
    on_disk = json.loads(metadata_path(path).read_text())
    assert on_disk == meta == read_metadata(path)
    assert on_disk["generation"] == 2 and on_disk["training_steps"] == 3
    assert on_disk["parent"] == "gen-0001.keras" and on_disk["board_size"] == 5
    assert NetworkConfig.from_dict(on_disk["network"]) == config
    assert on_disk["saved_at"].endswith("+00:00") and len(on_disk["keras_sha256"]) == 64
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        loaded, loaded_meta = load_checkpoint(path, expect_board_size=5)
    relevant = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    assert relevant == [] and caplog.records == [], [str(w.message) for w in relevant]
    assert loaded_meta == meta
    x = planes(batch[0], batch[1])
    for key in ("policy", "value"):
        np.testing.assert_array_equal(np.asarray(loaded(x, training=False)[key]),
                                      np.asarray(model(x, training=False)[key]))


def test_training_resumes_with_the_saved_optimizer_state(trained):
    path, _, model, trainer, batch, config = trained
    loaded, _ = load_checkpoint(path)
    resumed = Trainer(loaded, config, trainer.train_config)
    assert resumed.step == 3
    expected = trainer.train_step(*batch)         # the original continues one more step
    got = resumed.train_step(*batch)
    for key in ("total", "policy", "value"):
        assert got[key] == pytest.approx(expected[key], rel=1e-5)
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_momentum_matters_for_that_resumption(trained):
    """Control: a fresh optimizer (no saved momentum) does not land on the same weights."""
    path, _, model, trainer, batch, config = trained
    loaded, _ = load_checkpoint(path)
    loaded.optimizer = None
    fresh = Trainer(loaded, config, trainer.train_config)
    assert fresh.step == 0
    reference, _ = load_checkpoint(path)
    Trainer(reference, config, trainer.train_config).train_step(*batch)
    fresh.train_step(*batch)
    assert not all(np.allclose(a, b, rtol=1e-5, atol=1e-6)
                   for a, b in zip(loaded.get_weights(), reference.get_weights(), strict=True))


def test_missing_files_are_refused(tmp_path, trained):
    with pytest.raises(FileNotFoundError, match="checkpoint not found: .*nope.keras"):
        load_checkpoint(tmp_path / "nope.keras")
    path = tmp_path / "lonely.keras"
    path.write_bytes(trained[0].read_bytes())
    with pytest.raises(FileNotFoundError, match="metadata not found: .*lonely.keras.json"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match="must end in '.keras'"):
        save_checkpoint(tmp_path / "model.h5", trained[2], {})


def test_truncated_and_corrupt_files_are_refused(tmp_path, trained):
    source = trained[0]
    data = source.read_bytes()
    meta = metadata_path(source).read_text()
    path = tmp_path / "cut.keras"
    path.write_bytes(data[: len(data) // 2])
    metadata_path(path).write_text(meta)
    with pytest.raises(CheckpointError, match=r"cut.keras' is truncated .*bytes, its metadata"):
        load_checkpoint(path)
    # Same size but altered bytes: the hash says so.
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="is corrupt: its SHA-256 differs"):
        load_checkpoint(path)
    # Metadata without size/hash: the archive itself is checked.
    bare = {k: v for k, v in json.loads(meta).items() if not k.startswith("keras_")}
    metadata_path(path).write_text(json.dumps(bare))
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a .keras archive"):
        load_checkpoint(path)
    metadata_path(path).write_text(meta[: len(meta) // 2])
    with pytest.raises(CheckpointError, match="is not valid JSON"):
        load_checkpoint(path)


def test_other_board_sizes_are_refused(tmp_path, trained):
    path = trained[0]
    with pytest.raises(CheckpointError, match=r"is for a 5x5 board, expected 9x9"):
        load_checkpoint(path, expect_board_size=9)
    # Even when the metadata does not say, the loaded model's input does.
    copy = tmp_path / "quiet.keras"
    copy.write_bytes(path.read_bytes())
    meta = json.loads(metadata_path(path).read_text())
    del meta["board_size"]
    metadata_path(copy).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"is for a 5x5 board, expected 19x19"):
        load_checkpoint(copy, expect_board_size=19)


def test_safe_mode_refuses_code_in_the_file(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    path = tmp_path / "lambda.keras"
    save_checkpoint(path, model, {"network": {"note": "not a tower"}})
    with pytest.raises(CheckpointError, match="cannot be loaded: .*Lambda"):
        load_checkpoint(path)


def test_a_fresh_process_loads_a_trained_checkpoint(trained):
    """Only ``network.load_checkpoint`` imported: every custom object must register itself."""
    code = ("import sys, network; model, meta = network.load_checkpoint(sys.argv[1]); "
            "print(model.compiled, int(model.optimizer.iterations), meta['generation'])")
    out = subprocess.run([sys.executable, "-c", code, str(trained[0])], capture_output=True,
                         text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["True", "3", "2"]
