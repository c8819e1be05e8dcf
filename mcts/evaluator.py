"""The search's only view of a network: the ``Evaluator`` protocol.

Value sign convention (the one rule of this project): **every value is from the point of
view of the player to move in the position it belongs to**, in [-1, 1]; +1 means the
player to move wins. A child's value is therefore negated when backed up into its parent.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Evaluator(Protocol):
    """Positions -> (priors, values), in one batch.

    Attributes:
        board_size: N, the board the evaluator was built for.
        history_length: H, how many recent boards it wants per position.

    ``evaluate(boards, to_play, legal)`` takes
        boards:  int8[B, H, N, N], absolute colours (+1 black, -1 white, 0 empty),
                 index 0 the current board, then older ones; all zeros before the game start;
        to_play: int8[B], +1 black / -1 white, the player to move in each position;
        legal:   bool[B, N*N + 1], the legal moves, pass last;
    and returns
        priors:  float32[B, N*N + 1], zero on illegal moves, each row summing to 1;
        values:  float32[B], in [-1, 1], for the player to move.
    """

    board_size: int
    history_length: int

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]: ...


class UniformEvaluator:
    """Uniform priors over legal moves and value 0: a search with no knowledge."""

    def __init__(self, board_size: int, history_length: int = 1) -> None:
        self.board_size = board_size
        self.history_length = history_length

    def evaluate(
        self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """See ``Evaluator``: priors are ``legal / legal.sum()``, values are 0."""
        priors = legal.astype(np.float32)
        priors /= np.maximum(priors.sum(axis=1, keepdims=True), 1.0)
        return priors, np.zeros(len(legal), np.float32)
