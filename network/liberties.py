"""KataGo's liberty input planes: which stones are in chains of 1, 2 or 3 liberties.

AlphaGo Zero's network sees only stones; whether a chain is in atari it has to work out
through the tower, which a small network early in a run does badly. KataGo (Wu 2019,
"game-specific features") gives it the count directly. ``liberty_planes`` adds three
planes computed from the current board alone: stones of either colour whose chain has
exactly 1, 2 or 3 liberties (the stone planes say whose they are). The counts do not
depend on the board's orientation, so they commute with the dihedral symmetries.
"""

from __future__ import annotations

import numba
import numpy as np

from go.kernels import neighbour_table

#: Planes added by ``NetworkConfig.liberty_planes``: chains of exactly 1, 2 and 3 liberties.
LIBERTY_PLANES = 3


@numba.njit(cache=True)
def _chain_liberties(boards, nbrs, out):
    """For each flat board ``int8[P]`` of ``boards int8[B, P]``, write into ``out
    int32[B, P]`` the liberty count of the chain on each point (0 on empty points)."""
    n_points = boards.shape[1]
    chain = np.empty(n_points, np.int32)
    stack = np.empty(n_points, np.int32)
    marked = np.empty(n_points, np.int32)
    for b in range(boards.shape[0]):
        board = boards[b]
        chain[:] = -1
        marked[:] = -1
        for start in range(n_points):
            colour = board[start]
            if colour == 0 or chain[start] >= 0:
                continue
            chain[start] = start
            stack[0] = start
            top = 1
            size = 0
            libs = 0
            # depth-first over the chain; its stones are collected at the front of stack
            while top > size:
                q = stack[size]
                size += 1
                for k in range(4):
                    r = nbrs[q, k]
                    if r < 0:
                        break
                    v = board[r]
                    if v == 0:
                        if marked[r] != start:
                            marked[r] = start
                            libs += 1
                    elif v == colour and chain[r] < 0:
                        chain[r] = start
                        stack[top] = r
                        top += 1
            for i in range(size):
                out[b, stack[i]] = libs


def chain_liberties(boards: np.ndarray) -> np.ndarray:
    """``int32[B, N, N]``: the liberties of the chain on each point of ``boards int8[B, N,
    N]`` (+1 black, -1 white, 0 empty), 0 on empty points."""
    boards = np.ascontiguousarray(boards, dtype=np.int8)
    if boards.ndim != 3 or boards.shape[1] != boards.shape[2]:
        raise ValueError(f"boards must be int8[B, N, N], got shape {boards.shape}")
    batch, n, _ = boards.shape
    out = np.zeros((batch, n * n), np.int32)
    if batch:
        _chain_liberties(boards.reshape(batch, n * n), neighbour_table(n), out)
    return out.reshape(batch, n, n)


def liberty_planes(boards: np.ndarray, out: np.ndarray) -> None:
    """Write the ``LIBERTY_PLANES`` planes of the current boards ``int8[B, N, N]`` into
    ``out float32[B, N, N, 3]``: 1 where a stone's chain has exactly 1, 2, 3 liberties."""
    libs = chain_liberties(boards)
    for k in range(LIBERTY_PLANES):
        np.equal(libs, k + 1, out=out[..., k], casting="unsafe")
