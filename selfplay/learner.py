"""The learner: trains the network on sampled batches and exports checkpoints as bytes.

A plain class; ``selfplay.actors`` runs it as a Ray actor (on a GPU when the cluster has
one). It keeps the model and its optimizer state between calls; ``checkpoint()`` returns
the ``.keras`` file and its JSON metadata as bytes, so the driver can write them into the
run directory on its own machine (no shared filesystem), and a restarted learner is built
from such bytes again.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from network.config import NetworkConfig, TrainConfig
from selfplay.replay_buffer import TrainingBatch

CheckpointBytes = tuple[bytes, bytes]  # (.keras file, its .json metadata)
RECALIBRATION_BATCHES = 16
"""Latest training batches whose statistics a checkpoint's batch norm gets (2,048
positions at cpu9's batch of 128)."""


def load_model_bytes(checkpoint: CheckpointBytes, expect: NetworkConfig | None = None,
                     where: str = "checkpoint"):
    """``(model, metadata)`` from checkpoint bytes, through ``network.load_checkpoint``
    (Keras safe mode, size and hash checks). ``expect``: the network config it must have;
    ``where``: the checkpoint's name for error messages."""
    from network import load_checkpoint, network_config_of

    keras_bytes, json_bytes = checkpoint
    with tempfile.TemporaryDirectory(prefix="zerogo-ckpt-") as tmp:
        path = Path(tmp) / "checkpoint.keras"
        path.write_bytes(keras_bytes)
        Path(f"{path}.json").write_bytes(json_bytes)
        try:
            model, meta = load_checkpoint(
                path, expect_board_size=None if expect is None else expect.board_size)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from exc
    if expect is not None and network_config_of(model) != expect:
        raise ValueError(f"{where} holds network {network_config_of(model)}, expected "
                         f"{expect}")
    return model, meta


def save_model_bytes(model, metadata: dict[str, Any]) -> CheckpointBytes:
    """``network.save_checkpoint`` into a temporary folder, returned as bytes."""
    from network import save_checkpoint

    with tempfile.TemporaryDirectory(prefix="zerogo-ckpt-") as tmp:
        path = Path(tmp) / "checkpoint.keras"
        save_checkpoint(path, model, metadata)
        return path.read_bytes(), Path(f"{path}.json").read_bytes()


class Learner:
    """Trains one network (see the module docstring).

    Args:
        network_config, train_config: the network and how to train it.
        checkpoint: bytes of a checkpoint to resume from (weights and optimizer state);
            ``None`` starts from a fresh initialisation seeded by ``seed``.
        checkpoint_name: its name in error messages.
        gpus: GPUs this process may use; 0 hides every GPU.
        threads: CPU threads for the network's ops (``None``: the backend's default).
        seed: seeds the initial weights.
        precision: ``"auto"`` (measure this process's device at the training batch, float32
            or bfloat16: ``network.precision.choose_precision``; what a run passes unless
            its ``precision`` setting forces one), ``"float32"`` (the default) or
            ``"bfloat16"``; ``"float16"`` trains in float32 (it would need loss scaling).
            Checkpoints hold float32 weights in every precision; ``precision_choice()``
            says what was chosen and why.

    The trainer is built with augmentation off whatever ``train_config.augment`` says:
    the pipeline's batches come from ``ReplayBuffer.sample``, which already applies one
    random symmetry per position when ``augment`` is on, so each position reaches the
    optimiser transformed exactly once.
    """

    def __init__(self, network_config: NetworkConfig, train_config: TrainConfig,
                 checkpoint: CheckpointBytes | None = None, gpus: float = 0.0,
                 threads: int | None = None, seed: int | None = None,
                 checkpoint_name: str = "checkpoint", precision: str = "float32") -> None:
        from network import backend

        if gpus <= 0:
            backend.hide_gpus()
        backend.configure(gpu_memory_growth=True, threads=threads)
        import keras

        from network import Trainer, build_model
        from network.precision import choose_precision
        from rundir.config import forced_precision

        forced = forced_precision(precision)
        self.precision = choose_precision(
            network_config, forced="float32" if forced == "float16" else forced,
            batch=train_config.batch_size, budget_s=0.2, candidates=("float32", "bfloat16"))
        if forced == "float16":
            self.precision = dataclasses.replace(
                self.precision, reason="float16 asked for: the learner trains in float32 "
                                       "(float16 training would need loss scaling)")
        if checkpoint is not None:
            model, _ = load_model_bytes(checkpoint, expect=network_config,
                                        where=checkpoint_name)
        else:
            if seed is not None:
                keras.utils.set_random_seed(seed)
            model = build_model(network_config)
        self.config = network_config
        # the boards of the latest training batches, for recalibrating batch norm
        self._recent: collections.deque[tuple[np.ndarray, np.ndarray]] = collections.deque(
            maxlen=RECALIBRATION_BATCHES)
        self.trainer = Trainer(model, network_config,
                               dataclasses.replace(train_config, augment=False), seed=seed,
                               precision=self.precision.precision)

    @property
    def steps(self) -> int:
        """Optimizer steps taken (carried over from a checkpoint)."""
        return self.trainer.step

    def get_steps(self) -> int:
        """``steps``, as a method (for remote calls)."""
        return self.steps

    def train(self, batches: list[TrainingBatch],
              heldout: TrainingBatch | None = None) -> dict[str, float]:
        """One training step per batch; returns the mean of each loss over the batches
        (``total``, ``policy``, ``value``, ``l2``, ``policy_entropy``, ``learning_rate``),
        plus ``steps`` (the step count after them) and ``samples`` (positions used).

        ``heldout``: positions none of the earlier calls trained on; their losses under
        the network as it is before this call's steps come back as ``heldout_value``
        (MSE) and ``heldout_policy`` (cross-entropy, nats)."""
        out_heldout = {} if heldout is None else self.evaluate(heldout)
        sums: dict[str, float] = {}
        samples = 0
        for batch in batches:
            logs = self.trainer.train_step(batch.boards, batch.to_play, batch.policy,
                                           batch.value, ownership_target=batch.ownership,
                                           score_target=batch.score,
                                           policy_mask=batch.policy_mask)
            for key, value in logs.items():
                sums[key] = sums.get(key, 0.0) + value
            samples += len(batch.boards)
            self._recent.append((batch.boards, batch.to_play))
        out = {k: v / max(len(batches), 1) for k, v in sums.items()}
        out["steps"] = float(self.steps)
        out["samples"] = float(samples)
        out.update(out_heldout)
        return out

    def evaluate(self, batch: TrainingBatch) -> dict[str, float]:
        """``heldout_value``: mean (z - v)^2, and ``heldout_policy``: mean -pi . log p
        (nats, over the positions of ``batch.policy_mask``; left out when it has none),
        of the current network on ``batch`` (no update, inference mode)."""
        from network.features import planes

        out = self.trainer.model.predict_on_batch(
            planes(batch.boards, batch.to_play, self.config.liberty_planes))
        logits = np.asarray(out["policy"], np.float64)
        value = np.asarray(out["value"], np.float64)[:, 0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        cross_entropy = -np.sum(batch.policy * log_p, axis=1)
        if batch.policy_mask is not None:
            cross_entropy = cross_entropy[batch.policy_mask]
        out = {"heldout_value": float(np.mean((batch.value - value) ** 2))}
        if len(cross_entropy):
            out["heldout_policy"] = float(np.mean(cross_entropy))
        return out

    def precision_choice(self) -> dict[str, Any]:
        """The precision the learner trains in, and why (``PrecisionChoice.to_dict()``)."""
        return self.precision.to_dict()

    def pid(self) -> int:
        """The process id (tests kill the learner with it)."""
        return os.getpid()

    def weights(self) -> list[np.ndarray]:
        """The current weights (``model.get_weights()``)."""
        return self.trainer.model.get_weights()

    def checkpoint(self, metadata: dict[str, Any]) -> tuple[bytes, bytes, list[np.ndarray]]:
        """The current model with its optimizer state as checkpoint bytes (``metadata``
        plus ``training_steps``), and its weights.

        First the batch-norm statistics are recalibrated on the latest training batches
        (up to ``RECALIBRATION_BATCHES``; ``network.batch_norm``), so the checkpoint
        plays with the statistics its weights produce, not with a lagging average."""
        from network.batch_norm import recalibrate_batch_norm
        from network.features import planes

        recalibrate_batch_norm(self.trainer.model,
                               (planes(boards, to_play, self.config.liberty_planes)
                                for boards, to_play in self._recent))
        meta = dict(metadata, training_steps=self.steps, network=self.config.to_dict())
        keras_bytes, json_bytes = save_model_bytes(self.trainer.model, meta)
        return keras_bytes, json_bytes, self.weights()
