"""Dead stones and the final score from the network's ownership prediction.

A network with auxiliary heads predicts, for every point, who owns it at the end of the
game. A chain is **dead** when, on average over its stones, the prediction gives its
points to the opponent (mean ownership from the chain's own point of view below
``DEAD_BELOW``). The final score removes the dead chains, then counts Tromp-Taylor area
with komi (Chinese-style area scoring, as GNU Go's ``--chinese-rules`` counts it): the
points a dead chain stood on become the capturer's territory when its region reaches
only the capturer's stones.

Ownership arrays here are ``float[N*N]`` in absolute colours (+1 black owns, -1 white),
row-major from the top left, like ``Position.flat_board``.
"""

from __future__ import annotations

import numpy as np

from go import kernels

DEAD_BELOW = 0.0
"""A chain whose mean ownership (from its own colour's view) is below this is dead."""


def dead_chains(flat_board: np.ndarray, chains: list[list[int]],
                ownership: np.ndarray) -> list[list[int]]:
    """The chains of ``chains`` (lists of flat points) that ``ownership`` gives away."""
    flat_board = np.asarray(flat_board)
    ownership = np.asarray(ownership, np.float64)
    if ownership.shape != flat_board.shape:
        raise ValueError(f"ownership must be float[{flat_board.size}], got shape "
                         f"{ownership.shape}")
    dead = []
    for chain in chains:
        colour = int(flat_board[chain[0]])
        if colour * float(ownership[chain].mean()) < DEAD_BELOW:
            dead.append(chain)
    return dead


def score_without(flat_board: np.ndarray, size: int, komi: float,
                  dead: list[list[int]]) -> float:
    """``black_area - white_area - komi`` once the ``dead`` chains are taken off."""
    board = np.array(flat_board, np.int8)
    for chain in dead:
        board[chain] = 0
    return float(kernels.area_score(board, kernels.neighbour_table(size))) - komi


def result_string(score: float) -> str:
    """GTP ``final_score`` text of ``score`` (black minus white): ``B+3.5``, ``W+1``, ``0``."""
    if score == 0:
        return "0"
    margin = abs(score)
    text = f"{int(margin)}" if float(margin).is_integer() else f"{margin:g}"
    return f"{'B' if score > 0 else 'W'}+{text}"
