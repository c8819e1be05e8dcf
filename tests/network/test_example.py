"""examples/cifar10_residual.py runs offline (--synthetic) for a couple of steps."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import keras

from network import Residual

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cifar10_residual.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("cifar10_residual", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_run_trains_and_saves(tmp_path, capsys):
    example = _load_example()
    saved = tmp_path / "cifar.keras"
    metrics = example.main(["--synthetic", "--samples", "32", "--epochs", "1",
                            "--batch-size", "16", "--steps", "2", "--save", str(saved)])
    assert set(metrics) >= {"loss", "accuracy"} and 0.0 <= metrics["accuracy"] <= 1.0
    # By hand: blocks 10,560 + 18,688 + 58,112 + 74,240 (see Residual's docstring; the
    # projecting ones add a 1x1 kernel and a BN), Dense 4096*512+512, Dense 512*10+10.
    assert "Total params: 2,264,394" in capsys.readouterr().out
    model = keras.saving.load_model(saved, safe_mode=True)
    blocks = [layer for layer in model.layers if isinstance(layer, Residual)]
    assert [(b.filters, b.projection) for b in blocks] == [
        (32, True), (32, False), (64, True), (64, False)]
