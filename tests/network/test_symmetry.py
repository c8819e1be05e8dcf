"""The 8 board symmetries: inverses, a group, and agreement with the rules."""

from __future__ import annotations

import numpy as np
import pytest

import go
from network import symmetry


def test_transform_then_inverse_is_identity():
    rng = np.random.default_rng(0)
    boards = rng.integers(-1, 2, (3, 4, 7, 7)).astype(np.int8)
    planes = rng.random((3, 7, 7, 5)).astype(np.float32)
    policy = rng.random((3, 50)).astype(np.float32)
    for k in range(8):
        np.testing.assert_array_equal(symmetry.inverse_boards(
            symmetry.transform_boards(boards, k), k), boards)
        np.testing.assert_array_equal(symmetry.inverse_planes(
            symmetry.transform_planes(planes, k), k), planes)
        transformed = symmetry.transform_policy(policy, k, 7)
        np.testing.assert_array_equal(transformed[:, -1], policy[:, -1])   # pass stays
        np.testing.assert_array_equal(symmetry.inverse_policy(transformed, k, 7), policy)


def test_eight_distinct_transforms_forming_a_group():
    board = np.arange(25).reshape(5, 5)
    images = {symmetry.transform_boards(board, k).tobytes() for k in range(8)}
    assert len(images) == 8
    np.testing.assert_array_equal(symmetry.transform_boards(board, 0), board)
    for a in range(8):
        for b in range(8):
            composed = symmetry.transform_boards(symmetry.transform_boards(board, a), b)
            assert composed.tobytes() in images


def test_planes_and_boards_agree():
    rng = np.random.default_rng(1)
    boards = rng.integers(-1, 2, (2, 3, 6, 6)).astype(np.int8)
    planes = np.moveaxis(boards, 1, -1)
    for k in range(8):
        np.testing.assert_array_equal(
            symmetry.transform_planes(planes, k),
            np.moveaxis(symmetry.transform_boards(boards, k), 1, -1))


def test_per_element_transforms_match_single_ones():
    rng = np.random.default_rng(2)
    boards = rng.integers(-1, 2, (16, 3, 5, 5)).astype(np.int8)
    policy = rng.random((16, 26)).astype(np.float32)
    ks = rng.integers(0, 8, 16)
    each = symmetry.transform_boards_each(boards, ks)
    each_policy = symmetry.transform_policy_each(policy, ks, 5)
    for i, k in enumerate(ks):
        np.testing.assert_array_equal(each[i], symmetry.transform_boards(boards[i], k))
        np.testing.assert_array_equal(each_policy[i], symmetry.transform_policy(policy[i], k, 5))
    np.testing.assert_array_equal(symmetry.inverse_policy_each(each_policy, ks, 5), policy)


def test_playing_commutes_with_transforming():
    """Transform a position, play the transformed move == play the move, then transform."""
    size = 7
    rng = np.random.default_rng(4)
    original = go.Position.new(size)
    images = [go.Position.new(size) for _ in range(8)]
    captures = 0
    for _ in range(70):
        legal = np.flatnonzero(original.legal_moves()[:-1])
        if len(legal) == 0:
            break
        move = int(rng.choice(legal))
        stones_before = np.count_nonzero(original.board)
        original = original.play(move)
        captures += np.count_nonzero(original.board) < stones_before + 1
        for k in range(8):
            images[k] = images[k].play(symmetry.transform_move(move, k, size))
            np.testing.assert_array_equal(
                images[k].board, symmetry.transform_boards(original.board, k))
            np.testing.assert_array_equal(
                images[k].legal_moves(),
                symmetry.transform_policy(original.legal_moves(), k, size))
    assert captures > 0, "the game should include captures"
    assert symmetry.transform_move(size * size, 5, size) == size * size


def test_refusals_name_the_bad_value():
    with pytest.raises(ValueError, match="symmetry index must be an integer in 0..7, got 8"):
        symmetry.transform_boards(np.zeros((3, 3)), 8)
    with pytest.raises(ValueError, match=r"policy must be \[..., 10\]"):
        symmetry.transform_policy(np.zeros(9), 1, 3)
    with pytest.raises(ValueError, match="boards must be"):
        symmetry.transform_boards(np.zeros((3, 4)), 1)
    with pytest.raises(ValueError, match="symmetry indices must be in 0..7"):
        symmetry.transform_boards_each(np.zeros((2, 1, 3, 3)), np.array([0, 9]))
