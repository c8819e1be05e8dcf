"""Boards packed two bits per point, and rebuilding a game's boards from its moves.

A board ``int8[N*N]`` (+1 black, -1 white, 0 empty) is stored as ``uint8[ceil(N*N/4)]``:
point ``p`` lives in byte ``p // 4`` at bits ``2 * (p % 4)``, coded ``colour + 1``.
A 19x19 board takes 91 bytes, a 9x9 board 21.
"""

from __future__ import annotations

import numpy as np

from go import kernels


def packed_size(board_size: int) -> int:
    """Bytes per packed board of ``board_size``."""
    return (board_size * board_size + 3) // 4


def pack(boards: np.ndarray) -> np.ndarray:
    """int8[..., N*N] boards -> uint8[..., ceil(N*N/4)]."""
    boards = np.asarray(boards)
    points = boards.shape[-1]
    padded = np.zeros(boards.shape[:-1] + ((points + 3) // 4 * 4,), np.uint8)
    padded[..., :points] = boards + 1
    q = padded.reshape(boards.shape[:-1] + (-1, 4))
    return q[..., 0] | (q[..., 1] << 2) | (q[..., 2] << 4) | (q[..., 3] << 6)


def unpack(packed: np.ndarray, points: int) -> np.ndarray:
    """uint8[..., ceil(P/4)] -> int8[..., P] boards (the inverse of ``pack``)."""
    packed = np.asarray(packed, np.uint8)
    shifts = np.array([0, 2, 4, 6], np.uint8)
    codes = (packed[..., None] >> shifts) & 3
    codes = codes.reshape(packed.shape[:-1] + (-1,))[..., :points]
    return codes.astype(np.int8) - 1


def replay_boards(board_size: int, moves: np.ndarray, where: str = "game") -> np.ndarray:
    """int8[T, N*N]: the board before each of ``moves``, replayed from the empty board.

    Black moves first. Raises ``ValueError`` naming ``where`` and the move number when a
    move is illegal (occupied, suicide or positional superko).
    """
    n = board_size * board_size
    nbrs = kernels.neighbour_table(board_size)
    zobrist = kernels.zobrist_table(board_size)
    board = np.zeros(n, np.int8)
    hashes = np.zeros(len(moves) + 1, np.uint64)
    n_hashes = 1
    h = np.uint64(0)
    out = np.empty((len(moves), n), np.int8)
    colour = 1
    for t, move in enumerate(moves):
        out[t] = board
        move = int(move)
        if not 0 <= move <= n:
            raise ValueError(f"{where}: move {t} is {move}, out of range 0..{n}")
        if move != n:
            status, h, _ = kernels.play_inplace(board, colour, move, h, hashes, n_hashes,
                                                nbrs, zobrist)
            if status != kernels.OK:
                raise ValueError(f"{where}: move {t} ({move}) is illegal (status {status})")
            h = np.uint64(h)
            hashes[n_hashes] = h
            n_hashes += 1
        colour = -colour
    return out
