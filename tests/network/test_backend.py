"""Backend set-up: configure(), mixed precision, hide_gpus()."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import network
from network import backend
from network.config import NetworkConfig


def test_default_backend_is_tensorflow_unless_chosen():
    assert backend.backend_name() == os.environ["KERAS_BACKEND"] == "tensorflow"
    code = "import os; os.environ['KERAS_BACKEND'] = 'jax'; import network, os; " \
           "print(os.environ['KERAS_BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "jax"


def test_configure_reports_and_mixed_precision_keeps_float32_heads():
    info = backend.configure()
    assert info["backend"] == "tensorflow" and info["mixed_precision"] == "float32"
    try:
        backend.configure(mixed_precision="mixed_bfloat16")
        model = network.build_model(NetworkConfig.tiny(5))
        assert model.layers[0].compute_dtype == "bfloat16"
        out = model(np.ones((2, 5, 5, 5), np.float32), training=False)
        assert out["policy"].dtype == "float32" and out["value"].dtype == "float32"
        assert np.all(np.isfinite(np.asarray(out["policy"])))
    finally:
        backend.configure()
    assert keras.mixed_precision.global_policy().name == "float32"


def test_configure_refuses_bad_settings():
    with pytest.raises(ValueError, match="threads must be a positive integer or None, got 0"):
        backend.configure(threads=0)
    with pytest.raises(ValueError, match="mixed_precision must be.*got 'fp8'"):
        backend.configure(mixed_precision="fp8")


def test_hide_gpus_before_and_after_tensorflow_is_imported():
    before = ("from network import backend; backend.hide_gpus(); import os, sys; "
              "print(os.environ['CUDA_VISIBLE_DEVICES'], 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", before], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["-1", "False"]
    after = ("import tensorflow as tf; from network import backend; backend.hide_gpus(); "
             "print(len(tf.config.get_visible_devices('GPU')))")
    out = subprocess.run([sys.executable, "-c", after], capture_output=True, text=True,
                         check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.stdout.split()[-1] == "0"


def test_configure_twice_with_threads_in_a_fresh_process():
    code = "\n".join([
        "from network import backend",
        "import network, numpy as np",
        "backend.configure(threads=1)",
        "model = network.build_model(network.NetworkConfig.tiny(5))",
        "model(np.zeros((1, 5, 5, 5), np.float32))",
        "print(backend.configure(threads=1)['threads'])",
        "try:",
        "    backend.configure(threads=2)",
        "except RuntimeError as exc:",
        "    print('refused', 'threads=2' in str(exc))",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["1", "refused", "True"]
