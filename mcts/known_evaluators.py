"""Evaluators whose right answer is known, for tests and benchmarks.

All follow ``mcts.evaluator.Evaluator``: values are from the point of view of the player
to move in each position.
"""

from __future__ import annotations

import numpy as np

from go import kernels as rules


def _uniform_priors(legal: np.ndarray) -> np.ndarray:
    priors = legal.astype(np.float32)
    priors /= np.maximum(priors.sum(axis=1, keepdims=True), 1.0)
    return priors


class RandomValueEvaluator:
    """Uniform priors over legal moves and a value drawn uniformly from [-1, 1] (seeded):
    costs nothing, yet makes the search's Q differ between moves, so trees grow deeper
    than with a constant value."""

    def __init__(self, board_size: int, history_length: int = 1, seed: int | None = None):
        self.board_size = board_size
        self.history_length = history_length
        self._rng = np.random.default_rng(seed)

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """priors: uniform over ``legal``; values: float32[B] uniform in [-1, 1]."""
        values = self._rng.uniform(-1.0, 1.0, len(legal)).astype(np.float32)
        return _uniform_priors(legal), values


class FixedPriorEvaluator:
    """The same prior vector for every position (restricted to its legal moves and
    renormalised) and value 0: visit counts must follow these priors."""

    def __init__(self, priors: np.ndarray, history_length: int = 1) -> None:
        priors = np.asarray(priors, np.float32)
        size = int(round((priors.shape[0] - 1) ** 0.5))
        if priors.ndim != 1 or size * size + 1 != priors.shape[0] or (priors < 0).any():
            raise ValueError(f"priors must be N*N+1 non-negative numbers, got shape "
                             f"{priors.shape}")
        self.board_size = size
        self.history_length = history_length
        self.priors = priors

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """priors: ``self.priors`` masked by ``legal``, renormalised; values: 0."""
        priors = np.where(legal, self.priors[None, :], 0.0).astype(np.float32)
        total = priors.sum(axis=1, keepdims=True)
        priors = np.where(total > 0, priors / np.maximum(total, 1e-30), _uniform_priors(legal))
        return priors.astype(np.float32), np.zeros(len(legal), np.float32)


class AreaEvaluator:
    """Uniform priors and the Tromp-Taylor area score of the current board, with komi,
    from the player to move's point of view, divided by ``scale`` (default N*N) and
    clipped to [-1, 1]: a one-ply judge that rewards captures and punishes lost groups."""

    def __init__(self, board_size: int, komi: float, history_length: int = 1,
                 scale: float | None = None) -> None:
        self.board_size = board_size
        self.history_length = history_length
        self.komi = float(komi)
        self.scale = float(scale if scale is not None else board_size * board_size)
        self._nbrs = rules.neighbour_table(board_size)

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """priors: uniform over ``legal``; values: ``clip(to_play * (area - komi) / scale)``."""
        n = len(legal)
        flat = np.ascontiguousarray(boards[:, 0].reshape(n, -1))
        values = np.empty(n, np.float32)
        for i in range(n):
            score = rules.area_score(flat[i], self._nbrs) - self.komi
            values[i] = np.clip(to_play[i] * score / self.scale, -1.0, 1.0)
        return _uniform_priors(legal), values


class ColourEvaluator:
    """Uniform priors and a value that says black is ahead by ``black_value``: +v when
    black is to move, -v when white is. Every Q in the tree is then known exactly."""

    def __init__(self, board_size: int, black_value: float, history_length: int = 1):
        self.board_size = board_size
        self.history_length = history_length
        self.black_value = float(black_value)

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """priors: uniform over ``legal``; values: ``black_value * to_play``."""
        values = (self.black_value * to_play.astype(np.float32)).astype(np.float32)
        return _uniform_priors(legal), values
