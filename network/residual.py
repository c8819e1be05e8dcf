"""``Residual``: AlphaGo Zero's residual block as a Keras 3 layer.

    x -> conv(k x k) -> BN -> ReLU -> conv(k x k) -> BN -> (+ skip) -> ReLU

so that a residual tower is ``keras.Sequential`` with ``model.add(Residual(256, (3, 3)))``
repeated. Keras API only (``keras.layers``, ``keras.ops``): the layer runs on every Keras
backend. Inputs and outputs are channels-last, ``[B, H, W, C]``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops


def normalize_kernel_size(kernel_size: Any) -> tuple[int, int]:
    """``3`` or ``(3, 3)`` -> ``(3, 3)``; refuses non-positive or even sizes, naming them."""
    if isinstance(kernel_size, int) and not isinstance(kernel_size, bool):
        size = (kernel_size, kernel_size)
    elif (isinstance(kernel_size, (tuple, list)) and len(kernel_size) == 2
          and all(isinstance(k, int) and not isinstance(k, bool) for k in kernel_size)):
        size = (int(kernel_size[0]), int(kernel_size[1]))
    else:
        raise ValueError(
            f"kernel_size must be an int or a pair of ints, got {kernel_size!r}")
    if min(size) < 1:
        raise ValueError(f"kernel_size must be positive, got {kernel_size!r}")
    if size[0] % 2 == 0 or size[1] % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd in both dimensions so that 'same' padding keeps the "
            f"skip connection aligned, got {kernel_size!r}")
    return size


@keras.saving.register_keras_serializable(package="zerogo")
class Residual(keras.layers.Layer):
    """AlphaGo Zero's residual block: two ``filters``-channel convolutions and a skip.

    Args:
        filters: output channels (positive int).
        kernel_size: odd int or pair of odd ints (AlphaGo Zero: ``(3, 3)``).
        projection: what to do when the input's channel count differs from ``filters``.
            ``False`` (default, AlphaGo Zero's tower never needs it) refuses such an input
            with a ``ValueError`` at build time, naming both counts; ``True`` adds a 1x1
            convolution + batch normalisation on the skip path to project the input to
            ``filters`` channels (ResNet's "option B"). When the counts match, the skip is
            the identity either way and no projection weights are made.
        kernel_initializer, kernel_regularizer: for every convolution kernel.
        bn_momentum, bn_epsilon: for every batch normalisation.
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``, ``trainable``).

    Shapes: ``[B, H, W, C_in] -> [B, H, W, filters]`` (channels last, spatial size kept).

    Parameters (``F = filters``, ``k = kh * kw``, identity skip): trainable
    ``2 * k * F * F + 4 * F`` (two bias-free kernels, two BN gamma/beta), non-trainable
    ``4 * F`` (two BN moving mean/variance).
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        projection: bool = False,
        kernel_initializer: Any = "he_normal",
        kernel_regularizer: Any = None,
        bn_momentum: float = 0.99,
        bn_epsilon: float = 1e-3,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"filters must be a positive integer, got {filters!r}")
        if not isinstance(projection, bool):
            raise ValueError(f"projection must be True or False, got {projection!r}")
        self.filters = filters
        self.kernel_size = normalize_kernel_size(kernel_size)
        self.projection = projection
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bn_momentum = float(bn_momentum)
        self.bn_epsilon = float(bn_epsilon)
        self.conv1 = self._conv(self.kernel_size, "conv1")
        self.bn1 = self._batch_norm("bn1")
        self.conv2 = self._conv(self.kernel_size, "conv2")
        self.bn2 = self._batch_norm("bn2")
        self.skip_conv: layers.Conv2D | None = None
        self.skip_bn: layers.BatchNormalization | None = None

    def _conv(self, kernel_size: tuple[int, int], name: str) -> layers.Conv2D:
        return layers.Conv2D(
            self.filters, kernel_size, padding="same", use_bias=False,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy, name=name)

    def _batch_norm(self, name: str) -> layers.BatchNormalization:
        return layers.BatchNormalization(
            momentum=self.bn_momentum, epsilon=self.bn_epsilon, dtype=self.dtype_policy,
            name=name)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build every sublayer for ``input_shape = (B, H, W, C)``."""
        if len(input_shape) != 4:
            raise ValueError(
                f"Residual expects channels-last images [B, H, W, C], got input shape "
                f"{tuple(input_shape)}")
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"Residual needs a known channel count, got input shape {tuple(input_shape)}")
        if channels != self.filters:
            if not self.projection:
                raise ValueError(
                    f"Residual(filters={self.filters}) got an input with {channels} channels; "
                    f"the identity skip needs {self.filters}. Pass projection=True to add a "
                    f"1x1 convolution on the skip path, or make the previous layer output "
                    f"{self.filters} channels.")
            self.skip_conv = self._conv((1, 1), "skip_conv")
            self.skip_bn = self._batch_norm("skip_bn")
        inner_shape = (*input_shape[:-1], self.filters)
        self.conv1.build(input_shape)
        self.bn1.build(inner_shape)
        self.conv2.build(inner_shape)
        self.bn2.build(inner_shape)
        if self.skip_conv is not None:
            self.skip_conv.build(input_shape)
            self.skip_bn.build(inner_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """``relu(bn2(conv2(relu(bn1(conv1(x))))) + skip(x))``."""
        x = self.conv1(inputs)
        x = self.bn1(x, training=training)
        x = ops.relu(x)
        x = self.conv2(x)
        x = self.bn2(x, training=training)
        skip = inputs
        if self.skip_conv is not None:
            skip = self.skip_bn(self.skip_conv(inputs), training=training)
        return ops.relu(x + skip)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        base_config = super().get_config()
        return {
            **base_config,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "projection": self.projection,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bn_momentum": self.bn_momentum,
            "bn_epsilon": self.bn_epsilon,
        }
