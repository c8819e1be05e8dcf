"""AlphaGo Zero input planes from real positions."""

from __future__ import annotations

import numpy as np
import pytest

import go
from network.features import planes


def _game(size: int, moves: list[int]) -> go.Position:
    position = go.Position.new(size)
    for move in moves:
        position = position.play(move)
    return position


def test_planes_follow_the_player_to_move():
    # 5x5: black at 0, white at 6, black at 12; white to move.
    position = _game(5, [0, 6, 12])
    history = 3
    x = planes(position.recent_boards(history)[None], np.array([position.to_play], np.int8))
    assert x.shape == (1, 5, 5, 2 * history + 1) and x.dtype == np.float32
    own, opp, colour = x[0, ..., :history], x[0, ..., history:2 * history], x[0, ..., -1]
    # Player to move is white: own = white stones, most recent board first.
    assert own[..., 0].ravel().nonzero()[0].tolist() == [6]
    assert opp[..., 0].ravel().nonzero()[0].tolist() == [0, 12]
    # One move earlier (black's 12 not yet played), and two moves earlier (white's 6 not yet).
    assert opp[..., 1].ravel().nonzero()[0].tolist() == [0]
    assert own[..., 2].sum() == 0 and opp[..., 2].ravel().nonzero()[0].tolist() == [0]
    assert np.all(colour == 0)


def test_colour_plane_and_history_before_the_start():
    position = _game(5, [7])          # black played once; white to move
    black_view = planes(position.parent.recent_boards(4)[None], np.array([1], np.int8))
    white_view = planes(position.recent_boards(4)[None], np.array([-1], np.int8))
    assert np.all(black_view[..., -1] == 1) and np.all(white_view[..., -1] == 0)
    assert black_view[..., :8].sum() == 0              # empty board, zero history
    assert white_view[0, 1, 2, 4] == 1                 # black's stone at 7 is the opponent's
    assert white_view[..., 1:4].sum() == 0 and white_view[..., 5:8].sum() == 0


def test_batch_is_vectorised_consistently():
    rng = np.random.default_rng(3)
    boards = rng.integers(-1, 2, (6, 2, 4, 4)).astype(np.int8)
    to_play = np.array([1, -1, 1, -1, -1, 1], np.int8)
    x = planes(boards, to_play)
    for b in range(6):
        single = planes(boards[b:b + 1], to_play[b:b + 1])
        np.testing.assert_array_equal(single[0], x[b])
        relative = boards[b] * to_play[b]
        np.testing.assert_array_equal(x[b, ..., 0], relative[0] == 1)
        np.testing.assert_array_equal(x[b, ..., 3], relative[1] == -1)


def test_planes_refuse_bad_shapes():
    with pytest.raises(ValueError, match=r"must be int8\[B, H, N, N\], got shape \(2, 5, 5\)"):
        planes(np.zeros((2, 5, 5), np.int8), np.ones(2, np.int8))
    with pytest.raises(ValueError, match="to_play must have shape"):
        planes(np.zeros((2, 1, 5, 5), np.int8), np.ones(3, np.int8))
    with pytest.raises(ValueError, match="to_play must hold"):
        planes(np.zeros((2, 1, 5, 5), np.int8), np.array([1, 0], np.int8))
