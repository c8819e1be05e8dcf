"""Fixtures for the GTP tests: a tiny real checkpoint in a run directory, engine commands,
and GNU Go."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

GNUGO = "/usr/games/gnugo"
GNUGO_GTP = f"{GNUGO} --mode gtp --level 0 --chinese-rules --positional-superko"
REPO = Path(__file__).resolve().parents[2]
# Keras (3.15, TensorFlow backend, numpy 2) converts tensors with np.array(x), which numpy 2
# reports as a DeprecationWarning on every call; it is Keras' to fix.
_KERAS_NUMPY2_NOISE = (
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def pytest_collection_modifyitems(config, items):
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(_KERAS_NUMPY2_NOISE))


def engine_env() -> dict[str, str]:
    """Environment of engine subprocesses: the repository importable, TensorFlow quiet."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["CUDA_VISIBLE_DEVICES"] = "-1"
    return env


@pytest.fixture(scope="session")
def gnugo() -> str:
    """The GNU Go GTP command (the tests need the real program)."""
    if shutil.which(GNUGO) is None:
        pytest.fail(f"GNU Go is required at {GNUGO} (apt-get install gnugo)")
    return GNUGO_GTP


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A run directory holding two tiny 9x9 checkpoints; ``checkpoints/best`` names the
    second. Real Keras models (2 blocks x 16 filters, untrained, seeded)."""
    import keras

    from network import NetworkConfig, build_model, save_checkpoint

    run = tmp_path_factory.mktemp("run")
    config = NetworkConfig.tiny(9)
    for i, name in enumerate(("ckpt-0.keras", "ckpt-100.keras")):
        keras.utils.set_random_seed(10 + i)
        save_checkpoint(run / "checkpoints" / name, build_model(config),
                        {"generation": i, "network": config})
    (run / "checkpoints" / "best").write_text("ckpt-100.keras\n")
    return run


@pytest.fixture(scope="session")
def engine_argv(tiny_run) -> list[str]:
    """``python -m gtp`` over the tiny run directory, 16 playouts, seeded, CPU only, float32
    (a measured precision could differ from one start to the next)."""
    return [sys.executable, "-m", "gtp", "--checkpoint", str(tiny_run), "--playouts", "16",
            "--batch", "4", "--seed", "1", "--cpu", "--threads", "1", "--precision", "float32"]
