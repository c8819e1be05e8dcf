"""``recalibrate_batch_norm``: set a network's batch-norm statistics from real batches.

Training normalises each batch-norm layer's input by the batch's own mean and variance and
keeps an exponential moving average of them (``NetworkConfig.bn_momentum``, 0.99) for
inference. That average starts at mean 0, variance 1 and forgets at 1% per step, so after
the 80-200 steps of a first 9x9 generation it still holds 13-45% of its starting values
and lags weights that move fast: the checkpoint then plays with statistics that no batch
ever had. Measured on a 9x9 run's games after 200 steps, the held-out policy
cross-entropy was 3.82 nats with the moving averages and 3.28 after recalibrating, the
value's squared error 0.83 and 0.67 (docs/learning.md).

Recalibrating ("precise batch norm") runs the network in training mode over some batches,
weights unchanged, and sets every layer's moving mean and variance to the plain mean of
its batch statistics over them. The learner does it before every checkpoint it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from keras import layers


def batch_norm_layers(model: Any) -> list[layers.BatchNormalization]:
    """Every ``BatchNormalization`` layer of ``model``, nested layers included."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, layers.BatchNormalization)]


def recalibrate_batch_norm(model: Any, inputs: Iterable[np.ndarray]) -> int:
    """Set every batch-norm layer's moving mean and variance to the mean of its batch
    statistics over ``inputs`` (each ``float32[B, N, N, C]`` planes, ``network.features``).

    Weights are unchanged; so is everything else the model computes in training mode.
    Returns the number of batches used (0 leaves the statistics as they were). Each layer
    sees its input as training computes it (earlier layers normalised by batch
    statistics), which is what its own statistics estimate.
    """
    norms = batch_norm_layers(model)
    momenta = [layer.momentum for layer in norms]
    used = 0
    try:
        for x in inputs:
            # momentum j / (j + 1): the first batch replaces the statistics, each later one
            # enters a running mean with weight 1 / (j + 1)
            for layer in norms:
                layer.momentum = used / (used + 1)
            model(np.asarray(x, np.float32), training=True)
            used += 1
    finally:
        for layer, momentum in zip(norms, momenta, strict=True):
            layer.momentum = momentum
    return used
