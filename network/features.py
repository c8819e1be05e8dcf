"""Input features: AlphaGo Zero's planes from the Evaluator protocol's int8 boards.

What travels between processes is the compact form the ``Evaluator`` protocol already
uses: ``boards int8[B, H, N, N]`` (absolute colours, index 0 the current board) plus
``to_play int8[B]``, i.e. ``H*N*N + 1`` bytes per position. ``planes`` expands it where
the network runs, into the float32 planes the model reads: ``(2H + 1) * N*N * 4`` bytes,
about 8.5x larger for H = 8 (17 planes). The expansion costs a few microseconds per
position, far below the forward pass (``python -m benchmarks --only network`` reports
both, as "features_us_per_position" and "evaluations_per_s").

Plane order (channels last):
    0 .. H-1    stones of the player to move, most recent board first;
    H .. 2H-1   stones of the opponent, most recent board first;
    2H          colour to play: all ones when black is to move, all zeros for white.
    2H+1 ..     with ``liberty_planes`` (``NetworkConfig.liberty_planes``), three more:
    2H+3        stones of either colour whose chain has exactly 1, 2, 3 liberties on the
                current board (``network.liberties``).
"""

from __future__ import annotations

import numpy as np

from network.liberties import LIBERTY_PLANES
from network.liberties import liberty_planes as _liberty_planes


def planes(boards: np.ndarray, to_play: np.ndarray, liberty_planes: bool = False
           ) -> np.ndarray:
    """``float32[B, N, N, C]`` planes from ``boards int8[B, H, N, N]`` and ``to_play int8[B]``.

    ``boards`` holds absolute colours (+1 black, -1 white, 0 empty), zeros before the game
    start; ``to_play`` is +1 (black) or -1 (white). C is ``2H + 1``, plus 3 with
    ``liberty_planes`` (pass the network's ``NetworkConfig.liberty_planes``; its
    ``input_planes`` is C). Vectorised over the whole batch.
    """
    boards = np.asarray(boards)
    to_play = np.asarray(to_play)
    if boards.ndim != 4 or boards.shape[2] != boards.shape[3]:
        raise ValueError(f"boards must be int8[B, H, N, N], got shape {boards.shape}")
    batch, history, n, _ = boards.shape
    if to_play.shape != (batch,):
        raise ValueError(
            f"to_play must have shape ({batch},) to match boards {boards.shape}, "
            f"got {to_play.shape}")
    if batch and not np.all(np.abs(to_play.astype(np.int16)) == 1):
        raise ValueError(f"to_play must hold +1 (black) or -1 (white), got {np.unique(to_play)}")
    colour = to_play.astype(np.int8).reshape(batch, 1, 1, 1)
    # boards * colour: +1 own stone, -1 opponent stone, 0 empty (int8, no overflow).
    relative = boards.astype(np.int8, copy=False) * colour
    extra = LIBERTY_PLANES if liberty_planes else 0
    out = np.empty((batch, n, n, 2 * history + 1 + extra), np.float32)
    # [B, H, N, N] -> [B, N, N, H] views; comparisons write straight into the output.
    rel_last = relative.transpose(0, 2, 3, 1)
    np.equal(rel_last, 1, out=out[..., :history], casting="unsafe")
    np.equal(rel_last, -1, out=out[..., history:2 * history], casting="unsafe")
    out[..., 2 * history] = (to_play == 1).astype(np.float32).reshape(batch, 1, 1)
    if liberty_planes:
        _liberty_planes(boards[:, 0], out[..., 2 * history + 1:])
    return out
