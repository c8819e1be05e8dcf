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

from go import kernels
from go.numba_cache import drop_if_stale

# the kernel below compiles go.kernels.label_groups into itself (go.numba_cache)
drop_if_stale(__file__, [kernels.__file__])

#: Planes added by ``NetworkConfig.liberty_planes``: chains of exactly 1, 2 and 3 liberties.
LIBERTY_PLANES = 3


@numba.njit(cache=True)
def _chain_liberties(flat, nbrs, zobrist, out):
    """``out[b, p]``: liberties of the chain on point ``p`` of flat board ``b``, 0 if empty."""
    for b in range(flat.shape[0]):
        group_of, liberties, _ = kernels.label_groups(flat[b], nbrs, zobrist)
        for p in range(flat.shape[1]):
            if group_of[p] >= 0:
                out[b, p] = liberties[group_of[p]]


def chain_liberties(boards: np.ndarray) -> np.ndarray:
    """``int32[B, N, N]``: the liberties of the chain on each point of ``boards int8[B, N,
    N]`` (+1 black, -1 white, 0 empty), 0 on empty points (``go.kernels.label_groups``)."""
    boards = np.ascontiguousarray(boards, dtype=np.int8)
    if boards.ndim != 3 or boards.shape[1] != boards.shape[2]:
        raise ValueError(f"boards must be int8[B, N, N], got shape {boards.shape}")
    batch, n, _ = boards.shape
    out = np.zeros((batch, n * n), np.int32)
    if batch:
        _chain_liberties(boards.reshape(batch, n * n), kernels.neighbour_table(n),
                         kernels.zobrist_table(n), out)
    return out.reshape(batch, n, n)


def liberty_planes(boards: np.ndarray, out: np.ndarray) -> None:
    """Write the ``LIBERTY_PLANES`` planes of the current boards ``int8[B, N, N]`` into
    ``out float32[B, N, N, 3]``: 1 where a stone's chain has exactly 1, 2, 3 liberties."""
    libs = chain_liberties(boards)
    for k in range(LIBERTY_PLANES):
        np.equal(libs, k + 1, out=out[..., k], casting="unsafe")
