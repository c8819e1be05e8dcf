"""``PolicyValueHead``: AlphaGo Zero's two heads as one Keras layer that ends a Sequential.

Policy (``policy_head="dense"``, AlphaGo Zero's): 1x1 conv (``policy_filters``) -> BN -> ReLU
        -> flatten -> dense ``N*N + 1`` logits.
Policy (``policy_head="conv"``, fully convolutional as KataGo's): 1x1 conv (``policy_filters``)
        -> BN -> ReLU -> 1x1 conv (1 filter, bias) gives each point's logit, and a dense
        unit on the channels' board means gives the pass logit. Its weights are shared by
        every point, so a rule learned at one point (no move on a stone, answer an atari)
        holds at all of them: the dense head has to learn each of its N*N outputs from that
        point's own examples, and on 9x9 after a few hundred games still put half of its
        probability on occupied points where the conv head puts almost none
        (docs/learning.md).
Value:  1x1 conv (``value_filters``) -> BN -> ReLU -> flatten -> dense ``value_hidden``
        -> ReLU -> dense 1 -> tanh.

The layer returns ``{"policy": logits float32[B, N*N + 1], "value": float32[B, 1]}``; the
policy's last entry is pass, the value is in [-1, 1] from the point of view of the player
to move (that is what the trainer's targets say; the layer itself only learns it).

With ``auxiliary=True`` (KataGo's auxiliary heads) the dict gains

* ``"ownership": float32[B, N, N]`` in [-1, 1]: 1x1 conv (1 filter, bias) -> tanh. The
  trainer's target is the final Tromp-Taylor position of the game, +1 where the player to
  move at this position owns the point (its stone, or empty area reaching only its
  stones), -1 where the opponent does, 0 for neutral points.
* ``"score": float32[B, 1]``, points: a dense layer on the value head's hidden units, times
  N (so the unscaled output is about "rows ahead"). The trainer's target is the final
  area score of the game from the point of view of the player to move (its area minus
  the opponent's, komi counted against white). A mean, not a distribution: one number is
  what ``final_score`` and ``scoreLead`` need, and it is one dense unit's cost.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

POLICY_HEADS = ("dense", "conv")


def _check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


@keras.saving.register_keras_serializable(package="zerogo")
class PolicyValueHead(keras.layers.Layer):
    """Policy logits over every point plus pass, and a tanh value.

    Args:
        policy_filters: 1x1 filters of the policy head (AlphaGo Zero: 2).
        value_filters: 1x1 filters of the value head (AlphaGo Zero: 1).
        value_hidden: units of the value head's hidden layer (AlphaGo Zero: 256).
        kernel_initializer, kernel_regularizer: for every conv and dense kernel (but the
            value's last dense kernel, which starts at zero: an untrained network's value
            is 0 everywhere).
        bn_momentum, bn_epsilon: for both batch normalisations.
        auxiliary: add the ``ownership`` and ``score`` outputs (module docstring).
        policy_head: ``"dense"`` (AlphaGo Zero's) or ``"conv"`` (fully convolutional),
            module docstring.

    Shapes: ``[B, N, M, C] -> {"policy": [B, N*M + 1], "value": [B, 1]}`` (plus
    ``"ownership": [B, N, M]`` and ``"score": [B, 1]`` when ``auxiliary``), all float32
    even under a mixed-precision policy (losses want full precision).
    """

    def __init__(
        self,
        policy_filters: int = 2,
        value_filters: int = 1,
        value_hidden: int = 256,
        kernel_initializer: Any = "he_normal",
        kernel_regularizer: Any = None,
        bn_momentum: float = 0.99,
        bn_epsilon: float = 1e-3,
        auxiliary: bool = False,
        policy_head: str = "dense",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if policy_head not in POLICY_HEADS:
            raise ValueError(f"policy_head must be one of {POLICY_HEADS}, got {policy_head!r}")
        self.policy_head = policy_head
        if not isinstance(auxiliary, bool):
            raise ValueError(f"auxiliary must be True or False, got {auxiliary!r}")
        self.auxiliary = auxiliary
        self.policy_filters = _check_positive("policy_filters", policy_filters)
        self.value_filters = _check_positive("value_filters", value_filters)
        self.value_hidden = _check_positive("value_hidden", value_hidden)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bn_momentum = float(bn_momentum)
        self.bn_epsilon = float(bn_epsilon)
        self.policy_conv = self._conv(self.policy_filters, "policy_conv")
        self.policy_bn = self._batch_norm("policy_bn")
        self.value_conv = self._conv(self.value_filters, "value_conv")
        self.value_bn = self._batch_norm("value_bn")
        self.policy_dense: layers.Dense | None = None
        self.policy_point_conv: layers.Conv2D | None = None
        self.policy_pass_dense: layers.Dense | None = None
        if policy_head == "conv":
            self.policy_point_conv = layers.Conv2D(
                1, 1, kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
                name="policy_point_conv")
            self.policy_pass_dense = self._dense(1, "policy_pass_dense")
        self.value_hidden_dense = self._dense(self.value_hidden, "value_hidden_dense")
        # The value's last layer starts at zero: an untrained network says 0 (it knows
        # nothing) for every position. A random kernel over 256 ReLU units saturates the
        # tanh (|v| ~ 1 from the first position on), and self-play with such a network
        # resigns in its first moves.
        self.value_dense = self._dense(1, "value_dense", kernel_initializer="zeros")
        self.num_moves: int | None = None
        self.ownership_conv: layers.Conv2D | None = None
        self.score_dense: layers.Dense | None = None
        if auxiliary:
            self.ownership_conv = layers.Conv2D(
                1, 1, kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
                name="ownership_conv")
            self.score_dense = self._dense(1, "score_dense")

    def _conv(self, filters: int, name: str) -> layers.Conv2D:
        return layers.Conv2D(
            filters, 1, use_bias=False, kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy, name=name)

    def _batch_norm(self, name: str) -> layers.BatchNormalization:
        return layers.BatchNormalization(
            momentum=self.bn_momentum, epsilon=self.bn_epsilon, dtype=self.dtype_policy,
            name=name)

    def _dense(self, units: int, name: str, kernel_initializer: Any = None
               ) -> layers.Dense:
        return layers.Dense(
            units, kernel_initializer=kernel_initializer or self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy, name=name)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build every sublayer for ``input_shape = (B, N, M, C)``; N, M, C must be known."""
        if len(input_shape) != 4 or any(d is None for d in input_shape[1:]):
            raise ValueError(
                f"PolicyValueHead expects channels-last boards [B, N, M, C] with known N, M, "
                f"C, got input shape {tuple(input_shape)}")
        _, rows, cols, _ = input_shape
        points = rows * cols
        self.num_moves = points + 1
        self.policy_conv.build(input_shape)
        self.policy_bn.build((*input_shape[:-1], self.policy_filters))
        if self.policy_head == "conv":
            self.policy_point_conv.build((*input_shape[:-1], self.policy_filters))
            self.policy_pass_dense.build((input_shape[0], self.policy_filters))
        else:
            self.policy_dense = self._dense(self.num_moves, "policy_dense")
            self.policy_dense.build((input_shape[0], points * self.policy_filters))
        self.value_conv.build(input_shape)
        self.value_bn.build((*input_shape[:-1], self.value_filters))
        self.value_hidden_dense.build((input_shape[0], points * self.value_filters))
        self.value_dense.build((input_shape[0], self.value_hidden))
        if self.auxiliary:
            self.ownership_conv.build(input_shape)
            self.score_dense.build((input_shape[0], self.value_hidden))

    def call(self, inputs: Any, training: bool | None = None) -> dict[str, Any]:
        """``{"policy": logits[B, N*M + 1], "value": tanh[B, 1]}`` (+ ``ownership``
        tanh[B, N, M] and ``score`` points[B, 1] when ``auxiliary``)."""
        batch = ops.shape(inputs)[0]
        p = ops.relu(self.policy_bn(self.policy_conv(inputs), training=training))
        if self.policy_head == "conv":
            points = ops.reshape(self.policy_point_conv(p), (batch, -1))
            p = ops.concatenate(
                [points, self.policy_pass_dense(ops.mean(p, axis=(1, 2)))], axis=-1)
        else:
            p = self.policy_dense(ops.reshape(p, (batch, -1)))
        v = ops.relu(self.value_bn(self.value_conv(inputs), training=training))
        hidden = ops.relu(self.value_hidden_dense(ops.reshape(v, (batch, -1))))
        v = ops.tanh(self.value_dense(hidden))
        out = {"policy": ops.cast(p, "float32"), "value": ops.cast(v, "float32")}
        if self.auxiliary:
            own = ops.tanh(self.ownership_conv(inputs))[..., 0]
            out["ownership"] = ops.cast(own, "float32")
            score = ops.cast(self.score_dense(hidden), "float32") * float(inputs.shape[1])
            out["score"] = score
        return out

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> dict[str, tuple]:
        moves = input_shape[1] * input_shape[2] + 1
        shapes = {"policy": (input_shape[0], moves), "value": (input_shape[0], 1)}
        if self.auxiliary:
            shapes["ownership"] = (input_shape[0], input_shape[1], input_shape[2])
            shapes["score"] = (input_shape[0], 1)
        return shapes

    def get_config(self) -> dict[str, Any]:
        base_config = super().get_config()
        return {
            **base_config,
            "policy_filters": self.policy_filters,
            "value_filters": self.value_filters,
            "value_hidden": self.value_hidden,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bn_momentum": self.bn_momentum,
            "bn_epsilon": self.bn_epsilon,
            "auxiliary": self.auxiliary,
            "policy_head": self.policy_head,
        }
