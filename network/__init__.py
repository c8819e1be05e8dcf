"""The network: a ``keras.Sequential`` residual tower with policy and value heads.

Public names (imported lazily, so ``network.config``, ``network.features`` and
``network.symmetry`` stay numpy-only and a search worker never loads TensorFlow):

* ``NetworkConfig``, ``PRESETS``, ``TrainConfig``            (``network.config``)
* ``Residual``                                                (``network.residual``)
* ``GlobalPoolingResidual``                                   (``network.global_pooling``)
* ``PolicyValueHead``                                         (``network.heads``)
* ``build_model``, ``network_config_of``                      (``network.model``)
* ``NetworkEvaluator``                                        (``network.evaluator``)
* ``Trainer``                                                 (``network.training``)
* ``save_checkpoint``, ``load_checkpoint``, ``CheckpointError`` (``network.checkpoint``)
* ``PRECISIONS``, ``choose_precision``, ``PrecisionChoice``   (``network.precision``)
* modules ``features``, ``symmetry``, ``backend``, ``precision``

Values everywhere are from the point of view of the player to move.

Keras' backend defaults to TensorFlow here, but a ``KERAS_BACKEND`` chosen by the user
is respected (it must be set before keras is first imported).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

_EXPORTS = {
    "NetworkConfig": "network.config",
    "PRESETS": "network.config",
    "TrainConfig": "network.config",
    "Residual": "network.residual",
    "GlobalPoolingResidual": "network.global_pooling",
    "PolicyValueHead": "network.heads",
    "build_model": "network.model",
    "network_config_of": "network.model",
    "NetworkEvaluator": "network.evaluator",
    "Trainer": "network.training",
    "save_checkpoint": "network.checkpoint",
    "load_checkpoint": "network.checkpoint",
    "CheckpointError": "network.checkpoint",
    "PRECISIONS": "network.precision",
    "choose_precision": "network.precision",
    "PrecisionChoice": "network.precision",
}
_SUBMODULES = ("backend", "checkpoint", "config", "evaluator", "features", "global_pooling",
               "heads", "model", "precision", "residual", "symmetry", "training")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"network.{name}")
    raise AttributeError(f"module 'network' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
