"""``Trainer``: AlphaGo Zero's training step on a ``build_model`` network.

Loss per position (AlphaGo Zero, eq. 1):
    (z - v)^2  -  pi . log p  +  c * ||theta||^2
with ``pi`` the search's visit distribution (policy target), ``p = softmax(logits)``,
(the policy term only for positions whose ``policy_mask`` is true: playout cap
randomization's fast searches teach the value alone; the batch's mean still divides by
every position, as KataGo weighs them),
``z`` the game result and ``v`` the value, both from the point of view of the player to
move, and ``c`` = ``TrainConfig.l2`` over every convolution and dense kernel. SGD with
momentum and a step learning-rate schedule. The model is compiled with Keras' own
losses, so ``model.save`` (and ``save_checkpoint``) writes the optimizer state with it.

A network with auxiliary heads (``NetworkConfig.auxiliary_heads``) adds KataGo's
    w_o * mean_points (o - o_hat)^2  +  w_s * ((s - s_hat) / N)^2
with ``o`` the final ownership (+1 the player to move's, -1 the opponent's, 0 neutral),
``s`` the final score for the player to move (points, komi included), ``w_o`` / ``w_s``
= ``TrainConfig.ownership_loss_weight`` / ``score_loss_weight``. A position without these
targets (a resigned game: no final position) has NaN targets and adds nothing.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from network import symmetry
from network.config import NetworkConfig, TrainConfig
from network.features import planes
from network.precision import PrecisionError, apply, precision_of


@keras.saving.register_keras_serializable(package="zerogo")
def policy_entropy(y_true: Any, y_pred: Any) -> Any:
    """Per-position entropy (nats) of ``softmax(y_pred)`` over all moves; a Keras metric.

    Falls as the policy sharpens; a collapse to ~0 early in training is a warning sign.
    """
    del y_true
    log_p = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
    return -ops.sum(ops.exp(log_p) * log_p, axis=-1)


@keras.saving.register_keras_serializable(package="zerogo")
def masked_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Per-position mean squared error over all but the batch axis, ignoring NaN targets.

    ``y_true, y_pred: float[B, ...]``; a NaN target entry counts as missing (the mean is
    over the present entries, 0 when none is present). Used for ownership and score.
    """
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    present = ops.logical_not(ops.isnan(y_true))
    weight = ops.cast(present, "float32")
    diff = (y_pred - ops.where(present, y_true, 0.0)) * weight
    axes = tuple(range(1, len(y_pred.shape)))
    return ops.sum(diff * diff, axis=axes) / ops.maximum(ops.sum(weight, axis=axes), 1.0)


@keras.saving.register_keras_serializable(package="zerogo")
def policy_cross_entropy(y_true: Any, y_pred: Any) -> Any:
    """Per-position cross-entropy ``-sum(target * log_softmax(logits))``, nats.

    ``y_true: float[B, N*N + 1]`` visit distributions, or all-zero rows for positions that
    are not policy targets (playout cap randomization's fast searches); ``y_pred``: the
    logits. The gradient with respect to the logits is ``softmax * sum(target) - target``:
    exactly zero for a zero row. (TensorFlow's fused softmax cross-entropy, behind Keras'
    ``CategoricalCrossentropy(from_logits=True)``, returns ``softmax - target`` whatever
    the row sums to: a zero row then pushes every logit down, and the drift made cpu9's
    policy diverge within ~60 steps once three rows in four were masked out.)
    """
    y_true = ops.cast(y_true, "float32")
    log_p = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
    return -ops.sum(y_true * log_p, axis=-1)


def make_optimizer(train_config: TrainConfig) -> keras.optimizers.SGD:
    """SGD with momentum over ``train_config``'s step schedule.

    The schedule is indexed by the optimizer's step counter (``optimizer.iterations``, 0 for
    the first update) and matches ``TrainConfig.learning_rate(step)``.
    """
    rates = list(train_config.learning_rates)
    if len(rates) == 1:
        schedule: Any = rates[0]
    else:
        # Keras keeps values[i] while step <= boundaries[i]; ours changes at step == b.
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
            boundaries=[b - 1 for b in train_config.lr_boundaries], values=rates)
    return keras.optimizers.SGD(learning_rate=schedule, momentum=train_config.momentum)


def _is_kernel(variable: Any) -> bool:
    return variable.path.rsplit("/", 1)[-1] == "kernel"


class Trainer:
    """Trains a network made by ``build_model(config)``.

    Args:
        model: the network; compiled here (losses, policy-entropy metric, optimizer).
            If it already carries an SGD optimizer with state (``load_checkpoint`` of a
            trained model), the step count and momenta carry over into the new optimizer,
            so training resumes where it stopped, under ``train_config``'s schedule.
        config: the model's ``NetworkConfig``.
        train_config: the hyper-parameters.
        seed: seed of the augmentation symmetries (``None``: fresh entropy).
        precision: ``"float32"`` or ``"bfloat16"`` (``network.precision``) to train in;
            ``None`` keeps the model's. A model in another precision is converted (same
            weights) and ``self.model`` is the converted one; the optimizer state carries
            over as above. ``"float16"`` is refused: it would need loss scaling.

    Attributes: ``model``, ``config``, ``train_config``, ``step`` (optimizer updates
    so far), ``learning_rate`` (the rate of the next update).
    """

    def __init__(
        self,
        model: keras.Model,
        config: NetworkConfig,
        train_config: TrainConfig | None = None,
        seed: int | None = None,
        precision: str | None = None,
    ) -> None:
        if not isinstance(config, NetworkConfig):
            raise TypeError(f"config must be a NetworkConfig, got {type(config).__name__}")
        train_config = TrainConfig() if train_config is None else train_config
        if not isinstance(train_config, TrainConfig):
            raise TypeError(
                f"train_config must be a TrainConfig, got {type(train_config).__name__}")
        expected = (None, config.board_size, config.board_size, config.input_planes)
        if tuple(model.input_shape) != expected:
            raise ValueError(
                f"model {model.name!r} takes input {tuple(model.input_shape)}, but config "
                f"{config.name} needs {expected}")
        previous = getattr(model, "optimizer", None)
        if precision is not None:
            model = apply(model, precision)
        if precision_of(model) == "float16":
            raise PrecisionError(
                "Trainer trains in float32 or bfloat16; float16 would need loss scaling, "
                "got a float16 model")
        self.model = model
        self.config = config
        self.train_config = train_config
        self._rng = np.random.default_rng(seed)
        regularizer = keras.regularizers.L2(train_config.l2) if train_config.l2 > 0 else None
        for variable in model.trainable_variables:
            if _is_kernel(variable):
                variable.regularizer = regularizer
        optimizer = make_optimizer(train_config)
        optimizer.build(model.trainable_variables)
        if (isinstance(previous, keras.optimizers.SGD) and previous.built
                and [tuple(m.shape) for m in previous.momentums]
                == [tuple(m.shape) for m in optimizer.momentums]):
            optimizer.iterations.assign(previous.iterations)
            for new, old in zip(optimizer.momentums, previous.momentums, strict=True):
                new.assign(old)
        losses: dict[str, Any] = {
            "policy": policy_cross_entropy,
            "value": keras.losses.MeanSquaredError()}
        self.loss_weights = {"policy": 1.0, "value": train_config.value_loss_weight}
        if config.auxiliary_heads:
            losses.update(ownership=masked_squared_error, score=masked_squared_error)
            self.loss_weights.update(
                ownership=train_config.ownership_loss_weight,
                score=train_config.score_loss_weight / config.board_size ** 2)
        model.compile(
            optimizer=optimizer, loss=losses, loss_weights=self.loss_weights,
            metrics={"policy": [policy_entropy]},
        )

    @property
    def step(self) -> int:
        """Optimizer updates applied so far (restored from a checkpoint's optimizer)."""
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    @property
    def learning_rate(self) -> float:
        """The learning rate the next update will use."""
        return self.train_config.learning_rate(self.step)

    def augment(self, boards: np.ndarray, policy_target: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A random board symmetry per position, applied to boards and policy alike.

        ``train_step`` calls it when ``TrainConfig.augment`` is on. Batches that are
        already augmented (the self-play pipeline's replay buffer transforms each sampled
        position) must reach a trainer built with ``augment=False``, as
        ``selfplay.learner.Learner`` does, or they are transformed twice.

        ``boards int8[B, H, N, N]``, ``policy_target float32[B, N*N + 1]`` ->
        ``(boards, policy_target, ks int[B])``; values are unchanged by symmetry.
        """
        ks = self._rng.integers(0, symmetry.NUM_SYMMETRIES, len(boards))
        return (symmetry.transform_boards_each(boards, ks),
                symmetry.transform_policy_each(policy_target, ks, self.config.board_size), ks)

    def train_step(
        self,
        boards: np.ndarray,
        to_play: np.ndarray,
        policy_target: np.ndarray,
        value_target: np.ndarray,
        ownership_target: np.ndarray | None = None,
        score_target: np.ndarray | None = None,
        policy_mask: np.ndarray | None = None,
    ) -> dict[str, float]:
        """One SGD update on one batch; returns the batch's losses before the update.

        Args:
            boards: int8[B, H, N, N], absolute colours, index 0 the current board.
            to_play: int8[B], +1 black / -1 white.
            policy_target: float32[B, N*N + 1], the search's visit distribution (rows sum
                to 1, pass last).
            value_target: float32[B] in [-1, 1], the game result from the point of view of
                the player to move in that position.
            ownership_target: float32[B, N, N], the final ownership for the player to
                move (+1 its point, -1 the opponent's, 0 neutral; NaN rows: unknown);
                ``None``: unknown for all. Used only with auxiliary heads.
            score_target: float32[B], the final score for the player to move (points,
                komi included; NaN: unknown); ``None``: unknown for all.
            policy_mask: bool[B], the positions whose ``policy_target`` trains the policy
                (the other rows are ignored); ``None``: all of them.

        Returns floats: ``total`` (the minimised loss), ``policy`` (cross-entropy, nats,
        mean over the masked-in positions; the minimised term is it times their share),
        ``value`` (MSE), ``l2`` (``c * ||theta||^2``, = total minus the weighted losses),
        ``policy_entropy`` (mean entropy of the predicted policy, nats) and
        ``learning_rate`` (the rate this update used); with auxiliary heads also
        ``ownership`` (mean squared error per point) and ``score`` (squared error in
        points^2), both unweighted.
        """
        boards, to_play, policy_target, value_target = self._check(
            boards, to_play, policy_target, value_target, policy_mask)
        share = 1.0
        if policy_mask is not None and not np.all(policy_mask):
            # a zero target row adds nothing to the cross-entropy (nor to its gradient)
            policy_target = np.where(np.asarray(policy_mask)[:, None], policy_target,
                                     np.float32(0.0)).astype(np.float32)
            share = float(np.mean(policy_mask))
        targets = {"policy": None, "value": value_target.reshape(-1, 1)}
        if self.config.auxiliary_heads:
            targets.update(self._auxiliary_targets(len(boards), ownership_target,
                                                   score_target))
        if self.train_config.augment:
            boards, policy_target, ks = self.augment(boards, policy_target)
            if "ownership" in targets:
                targets["ownership"] = symmetry.transform_boards_each(
                    targets["ownership"], ks)
        targets["policy"] = policy_target
        rate = self.learning_rate
        x = planes(boards, to_play, self.config.liberty_planes)
        logs = self.model.train_on_batch(x, targets, return_dict=True)
        out = {"total": float(logs["loss"])}
        l2 = out["total"]
        for name in targets:
            out[name] = float(logs[f"{name}_loss"])
            l2 -= self.loss_weights[name] * out[name]
        if share != 1.0:  # reported over the masked-in positions
            out["policy"] = out["policy"] / share if share > 0 else 0.0
        out.update(l2=l2, policy_entropy=float(logs["policy_policy_entropy"]),
                   learning_rate=rate)
        return out

    def _auxiliary_targets(self, batch: int, ownership: Any, score: Any
                           ) -> dict[str, np.ndarray]:
        """Checked ``ownership float32[B, N, N]`` and ``score float32[B, 1]`` targets, NaN
        where unknown."""
        n = self.config.board_size
        if ownership is None:
            ownership = np.full((batch, n, n), np.nan, np.float32)
        ownership = np.asarray(ownership, np.float32)
        if ownership.shape != (batch, n, n):
            raise ValueError(f"ownership_target must be float32[{batch}, {n}, {n}], got "
                             f"{list(ownership.shape)}")
        if np.any(np.abs(ownership) > 1.0):  # NaN compares False: unknown is fine
            raise ValueError(f"ownership_target must be in [-1, 1] or NaN, got values up "
                             f"to {np.nanmax(np.abs(ownership))}")
        score = np.full(batch, np.nan, np.float32) if score is None else np.asarray(
            score, np.float32)
        if score.shape != (batch,):
            raise ValueError(f"score_target must be float32[{batch}], got "
                             f"{list(score.shape)}")
        if np.any(np.isinf(score)):
            raise ValueError("score_target must be finite or NaN, got an infinity")
        return {"ownership": ownership, "score": score.reshape(-1, 1)}

    def _check(self, boards: Any, to_play: Any, policy_target: Any, value_target: Any,
               policy_mask: Any = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n, h = self.config.board_size, self.config.history_length
        boards = np.asarray(boards)
        if boards.ndim != 4 or boards.shape[1:] != (h, n, n) or boards.shape[0] == 0:
            raise ValueError(f"boards must be int8[B>0, {h}, {n}, {n}], got "
                             f"{boards.dtype}{list(boards.shape)}")
        batch = boards.shape[0]
        to_play = np.asarray(to_play)
        policy_target = np.asarray(policy_target, np.float32)
        value_target = np.asarray(value_target, np.float32)
        if to_play.shape != (batch,):
            raise ValueError(f"to_play must be int8[{batch}], got {list(to_play.shape)}")
        if policy_target.shape != (batch, n * n + 1):
            raise ValueError(f"policy_target must be float32[{batch}, {n * n + 1}], got "
                             f"{list(policy_target.shape)}")
        if value_target.shape != (batch,):
            raise ValueError(f"value_target must be float32[{batch}], got "
                             f"{list(value_target.shape)}")
        if not np.all(np.abs(value_target) <= 1.0):
            raise ValueError(
                f"value_target must be in [-1, 1], got values from {value_target.min()} "
                f"to {value_target.max()}")
        rows = np.ones(batch, np.bool_)
        if policy_mask is not None:
            rows = np.asarray(policy_mask)
            if rows.dtype != np.bool_ or rows.shape != (batch,):
                raise ValueError(f"policy_mask must be bool[{batch}], got "
                                 f"{rows.dtype}{list(rows.shape)}")
        sums = policy_target[rows].sum(axis=1)
        if np.any(policy_target[rows] < 0) or not np.allclose(sums, 1.0, atol=1e-3):
            raise ValueError(
                f"policy_target rows must be non-negative and sum to 1, got sums from "
                f"{sums.min():.4f} to {sums.max():.4f}")
        return boards.astype(np.int8, copy=False), to_play, policy_target, value_target
