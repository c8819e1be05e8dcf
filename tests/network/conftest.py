"""Fixtures for the network tests: tiny networks on small boards, real TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

import network
from network.config import NetworkConfig

# Keras (3.15, TensorFlow backend, numpy 2) converts its logs with np.array(tensor), which
# numpy 2 reports as a DeprecationWarning on every train_on_batch; it is Keras' to fix.
_KERAS_NUMPY2_NOISE = (
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def pytest_collection_modifyitems(config, items):
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(_KERAS_NUMPY2_NOISE))


@pytest.fixture(scope="session")
def tiny5() -> NetworkConfig:
    """2 blocks x 16 filters on 5x5 with 2 boards of history (5 input planes)."""
    return NetworkConfig.tiny(5)


@pytest.fixture(scope="session")
def tiny5_model(tiny5):
    """A built, untrained tiny5 model shared by read-only tests (do not train it)."""
    import keras

    keras.utils.set_random_seed(1)
    return network.build_model(tiny5)


def random_batch(config: NetworkConfig, batch: int, seed: int = 0):
    """Random positions in the Evaluator protocol's form: (boards, to_play, legal)."""
    rng = np.random.default_rng(seed)
    n, h = config.board_size, config.history_length
    boards = rng.integers(-1, 2, (batch, h, n, n)).astype(np.int8)
    to_play = rng.choice(np.array([-1, 1], np.int8), batch)
    legal = rng.random((batch, n * n + 1)) < 0.6
    legal[:, -1] = True
    return boards, to_play, legal
