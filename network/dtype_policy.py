"""Precision names and their Keras dtype policies, for a model's layers.

``PRECISIONS``: ``float32``, ``bfloat16`` (Keras ``mixed_bfloat16``: bfloat16 compute,
float32 weights), ``float16`` (``mixed_float16``). ``network.precision`` chooses among them.
"""

from __future__ import annotations

from typing import Any

from go.errors import ZerogoError

PRECISIONS: tuple[str, ...] = ("float32", "bfloat16", "float16")
_POLICY_NAMES = {"float32": "float32", "bfloat16": "mixed_bfloat16",
                 "float16": "mixed_float16"}
_PRECISION_OF_POLICY = {v: k for k, v in _POLICY_NAMES.items()}

class PrecisionError(ZerogoError, ValueError):
    """An unknown precision name, or a precision that cannot be used where it was asked."""


def check_precision(precision: Any) -> str:
    """``precision`` if it is one of ``PRECISIONS``, else ``PrecisionError`` naming it."""
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise PrecisionError(
            f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


def dtype_policy(precision: str) -> Any:
    """The ``keras.DTypePolicy`` of ``precision`` (``"bfloat16"`` -> ``mixed_bfloat16``)."""
    import keras

    return keras.dtype_policies.DTypePolicy(_POLICY_NAMES[check_precision(precision)])


def precision_of(model: Any) -> str:
    """The precision of a ``build_model`` network, read from its first layer's policy."""
    name = model.layers[0].dtype_policy.name
    if name not in _PRECISION_OF_POLICY:
        raise PrecisionError(f"model {model.name!r} has dtype policy {name!r}, which is not "
                             f"one of {', '.join(_POLICY_NAMES.values())}")
    return _PRECISION_OF_POLICY[name]
