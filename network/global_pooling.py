"""``GlobalPoolingResidual``: KataGo's global-pooling residual block, a sibling of
``Residual`` (Wu 2019, "Accelerating Self-Play Learning in Go", section 4.1).

    x -> conv1 (k x k, F) -> BN -> (+ channel biases) -> ReLU -> conv2 -> BN -> (+ x) -> ReLU
    channel biases = dense_F(concat(mean, max) of ReLU(BN(conv_g(x))))   [B, 2G] -> [B, F]

``conv_g`` is a k x k convolution with ``pooled_channels`` = G outputs; their mean and
maximum over the whole board are mixed by a bias-free dense layer into one bias per
channel of the block's first convolution. This lets every point see whole-board context
(how many ko threats, who is ahead) in one block, which a stack of 3x3 convolutions only
reaches after ~N/2 blocks. KataGo also feeds a board-size-scaled mean, which is constant
here (one board size per network) and so left out. Keras ops only (any backend);
channels last, ``[B, H, W, C] -> [B, H, W, F]``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from network.residual import Residual


@keras.saving.register_keras_serializable(package="zerogo")
class GlobalPoolingResidual(Residual):
    """A ``Residual`` block whose first convolution gets whole-board channel biases.

    Args:
        filters, kernel_size, projection, kernel_initializer, kernel_regularizer,
        bn_momentum, bn_epsilon, **kwargs: as ``Residual``.
        pooled_channels: G, channels of the pooled branch (KataGo: 32 of 128-256).

    Parameters beyond ``Residual``'s: ``k * C_in * G`` (conv_g), ``2G`` trainable and ``2G``
    non-trainable (its BN), ``2G * F`` (the dense mixing).
    """

    def __init__(self, filters: int, kernel_size: int | tuple[int, int],
                 pooled_channels: int = 16, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, **kwargs)
        if (isinstance(pooled_channels, bool) or not isinstance(pooled_channels, int)
                or pooled_channels < 1):
            raise ValueError(
                f"pooled_channels must be a positive integer, got {pooled_channels!r}")
        self.pooled_channels = pooled_channels
        self.pool_conv = layers.Conv2D(
            pooled_channels, self.kernel_size, padding="same", use_bias=False,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
            name="pool_conv")
        self.pool_bn = self._batch_norm("pool_bn")
        self.pool_dense = layers.Dense(
            filters, use_bias=False, kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
            name="pool_dense")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build ``Residual``'s sublayers and the pooled branch for ``(B, H, W, C)``."""
        super().build(input_shape)
        self.pool_conv.build(input_shape)
        self.pool_bn.build((*input_shape[:-1], self.pooled_channels))
        self.pool_dense.build((input_shape[0], 2 * self.pooled_channels))

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """``relu(bn2(conv2(relu(bn1(conv1(x)) + bias(x)))) + skip(x))``."""
        g = ops.relu(self.pool_bn(self.pool_conv(inputs), training=training))
        pooled = ops.concatenate([ops.mean(g, axis=(1, 2)), ops.max(g, axis=(1, 2))], axis=-1)
        bias = self.pool_dense(pooled)
        x = self.bn1(self.conv1(inputs), training=training)
        x = ops.relu(x + bias[:, None, None, :])
        x = self.bn2(self.conv2(x), training=training)
        skip = inputs
        if self.skip_conv is not None:
            skip = self.skip_bn(self.skip_conv(inputs), training=training)
        return ops.relu(x + skip)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pooled_channels": self.pooled_channels}
