"""``NetworkEvaluator``: the ``Evaluator`` protocol over a Keras model made by ``build_model``.

numpy in, numpy out. Each call: (optionally) a random board symmetry per position, the
int8 boards expanded to planes (``network.features``), one compiled forward pass, the
policy mapped back through the inverse symmetry, a softmax over the legal moves only.
Values come out from the point of view of the player to move, as the protocol says.

A network with auxiliary heads (``NetworkConfig.auxiliary_heads``) also answers
``evaluate_auxiliary``: its predicted final ownership and score, for the GTP engine's
``final_score``, ``final_status_list`` and ``kata-analyze``. The search itself uses only
policy and value (the compiled forward pass leaves the auxiliary outputs out).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from go.errors import ZerogoError
from network import backend, symmetry
from network.config import NetworkConfig
from network.features import planes


def bucket_size(batch: int) -> int:
    """The padded batch used by backends that compile per shape: the next power of two."""
    return 1 << max(0, int(batch) - 1).bit_length()


def masked_softmax(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """Softmax of ``logits float[B, M]`` over the ``legal bool[B, M]`` entries only.

    Illegal entries are exactly 0 and each row with a legal move sums to 1; a row with no
    legal move at all (a finished game) is all zeros, as ``UniformEvaluator`` does.
    """
    z = np.where(legal, logits.astype(np.float32, copy=False), -np.inf)
    top = z.max(axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    e = np.exp(z - top)
    total = e.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    e /= total
    return e


class NoAuxiliaryHeadsError(ZerogoError, ValueError):
    """The network has no ownership and score heads (an AlphaGo Zero network)."""


class NetworkEvaluator:
    """Evaluate positions with a network; implements ``mcts.evaluator.Evaluator``.

    Args:
        model: a model from ``build_model(config)`` (or ``load_checkpoint``).
        config: its ``NetworkConfig``; must match the model's input shape.
        seed: seed of the random symmetries (``None``: fresh entropy).
        random_symmetry: evaluate each position under one of the 8 board symmetries,
            drawn independently per position and per call, and map the policy back
            (AlphaGo Zero's evaluation-time augmentation). ``False``: identity.
        pad_batches: pad each batch to the next power of two so that a backend which
            compiles per input shape compiles at most log2(B) times. ``None`` chooses per
            backend (TensorFlow: no padding, its compiled call accepts any batch size).

    Attributes: ``board_size`` (N), ``history_length`` (H), ``config``, ``model``,
    ``traces`` (how many times the forward pass was compiled; stays 1 on TensorFlow).

    Not thread-safe (one random generator); use one evaluator per thread.
    """

    def __init__(
        self,
        model: keras.Model,
        config: NetworkConfig,
        seed: int | None = None,
        random_symmetry: bool = True,
        pad_batches: bool | None = None,
    ) -> None:
        if not isinstance(config, NetworkConfig):
            raise TypeError(f"config must be a NetworkConfig, got {type(config).__name__}")
        expected = (None, config.board_size, config.board_size, config.input_planes)
        if tuple(model.input_shape) != expected:
            raise ValueError(
                f"model {model.name!r} takes input {tuple(model.input_shape)}, but config "
                f"{config.name} on {config.board_size}x{config.board_size} with history "
                f"{config.history_length} needs {expected}")
        self.model = model
        self.config = config
        self.board_size = config.board_size
        self.history_length = config.history_length
        self.random_symmetry = bool(random_symmetry)
        self.traces = 0
        self._rng = np.random.default_rng(seed)
        self._forward, fixed = backend.compiled_forward(model, on_trace=self._count_trace)
        self._pad = fixed if pad_batches is None else bool(pad_batches)

    def _count_trace(self) -> None:
        self.traces += 1

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Load new weights (``model.get_weights()`` of a same-shaped model); no recompile."""
        self.model.set_weights(weights)

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Priors and values for a batch of positions (see ``mcts.evaluator.Evaluator``).

        Args:
            boards: int8[B, H, N, N], absolute colours, index 0 the current board.
            to_play: int8[B], +1 black / -1 white.
            legal: bool[B, N*N + 1], pass last.

        Returns:
            priors: float32[B, N*N + 1], zero on illegal moves, rows summing to 1.
            values: float32[B] in [-1, 1], for the player to move.
        """
        boards, to_play, legal = self._check(boards, to_play, legal)
        batch = boards.shape[0]
        n = self.board_size
        if batch == 0:
            return np.zeros((0, n * n + 1), np.float32), np.zeros(0, np.float32)
        ks = None
        if self.random_symmetry:
            ks = self._rng.integers(0, symmetry.NUM_SYMMETRIES, batch)
            boards = symmetry.transform_boards_each(boards, ks)
        x = planes(boards, to_play, self.config.liberty_planes)
        if self._pad and bucket_size(batch) != batch:
            padded = np.zeros((bucket_size(batch), *x.shape[1:]), np.float32)
            padded[:batch] = x
            x = padded
        logits, values = self._forward(x)
        logits, values = logits[:batch], values[:batch]
        if ks is not None:
            logits = symmetry.inverse_policy_each(logits, ks, n)
        priors = masked_softmax(logits, legal)
        return priors, np.clip(values, -1.0, 1.0).astype(np.float32, copy=False)

    @property
    def has_auxiliary_heads(self) -> bool:
        """Whether the network predicts final ownership and score."""
        return self.config.auxiliary_heads

    def evaluate_auxiliary(self, boards: np.ndarray, to_play: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
        """The network's predicted final ownership and score of each position.

        Args: ``boards int8[B, H, N, N]`` (absolute colours, index 0 the current board),
        ``to_play int8[B]`` (+1 black / -1 white).

        Returns ``ownership float32[B, N, N]`` in [-1, 1], +1 where the point ends owned by
        the player to move (Tromp-Taylor area), -1 by the opponent; and ``score
        float32[B]``, points, the player to move's final area minus the opponent's with
        komi. Under ``random_symmetry`` each position is evaluated under a random symmetry
        and its ownership mapped back. Raises ``NoAuxiliaryHeadsError`` for a network
        without these heads.
        """
        if not self.has_auxiliary_heads:
            raise NoAuxiliaryHeadsError(
                f"network {self.config.name} has no ownership and score heads")
        n = self.board_size
        boards, to_play, _ = self._check(
            boards, to_play, np.ones((np.shape(boards)[0], n * n + 1), np.bool_))
        batch = boards.shape[0]
        ks = None
        if self.random_symmetry:
            ks = self._rng.integers(0, symmetry.NUM_SYMMETRIES, batch)
            boards = symmetry.transform_boards_each(boards, ks)
        out = self.model(planes(boards, to_play, self.config.liberty_planes), training=False)
        ownership = np.asarray(keras.ops.convert_to_numpy(out["ownership"]), np.float32)
        score = np.asarray(keras.ops.convert_to_numpy(out["score"]), np.float32)[:, 0]
        if ks is not None:
            ownership = symmetry.transform_boards_each(ownership, symmetry.INVERSES[ks])
        return np.clip(ownership, -1.0, 1.0), score

    def _check(self, boards: Any, to_play: Any, legal: Any
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        boards = np.asarray(boards)
        to_play = np.asarray(to_play)
        legal = np.asarray(legal)
        n, h = self.board_size, self.history_length
        if boards.ndim != 4 or boards.shape[1:] != (h, n, n):
            raise ValueError(
                f"boards must be int8[B, {h}, {n}, {n}] for this evaluator, got "
                f"{boards.dtype}{list(boards.shape)}")
        batch = boards.shape[0]
        if to_play.shape != (batch,):
            raise ValueError(f"to_play must be int8[{batch}], got {to_play.dtype}"
                             f"{list(to_play.shape)}")
        if legal.shape != (batch, n * n + 1) or legal.dtype != np.bool_:
            raise ValueError(f"legal must be bool[{batch}, {n * n + 1}], got "
                             f"{legal.dtype}{list(legal.shape)}")
        return boards.astype(np.int8, copy=False), to_play, legal
