"""The compiled kernels: legality mask against move-by-move play, random playouts, hashing,
and numba's on-disk cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from go import Position, kernels

REPO = Path(__file__).resolve().parents[2]


def random_positions(size: int, moves: int, seed: int) -> list[Position]:
    rng = np.random.default_rng(seed)
    position = Position.new(size, 7.5)
    out = [position]
    for _ in range(moves):
        legal = np.flatnonzero(position.legal_moves()[:-1])
        if len(legal) == 0 or position.is_over():
            break
        position = position.play(int(legal[rng.integers(len(legal))]))
        out.append(position)
    return out


@pytest.mark.parametrize(("size", "moves"), [(2, 30), (4, 120), (7, 250), (19, 400)])
def test_legal_mask_agrees_with_play_inplace(size: int, moves: int) -> None:
    nbrs, zobrist = kernels.neighbour_table(size), kernels.zobrist_table(size)
    statuses = set()
    positions = random_positions(size, moves, seed=size)
    for position in positions[:: max(1, len(positions) // 40)]:
        mask = position.legal_moves()
        hashes = position.board_hashes
        for move in range(size * size):
            board = position.flat_board.copy()
            status, new_hash, captured = kernels.play_inplace(
                board, position.to_play, move, np.uint64(position.zobrist_hash), hashes,
                len(hashes), nbrs, zobrist)
            statuses.add(int(status))
            assert (status == kernels.OK) == mask[move], (move, status, str(position))
            if status == kernels.OK:
                assert new_hash == kernels.board_hash(board, zobrist)
                removed = np.count_nonzero(position.flat_board) + 1 - np.count_nonzero(board)
                assert captured == removed
            else:
                assert np.array_equal(board, position.flat_board), "illegal move changed board"
    assert kernels.OK in statuses and kernels.OCCUPIED in statuses
    if size >= 4:
        assert kernels.SUICIDE in statuses or kernels.SUPERKO in statuses


@pytest.mark.parametrize("size", [2, 5, 9, 19])
def test_random_playout_follows_the_rules(size: int) -> None:
    nbrs, zobrist = kernels.neighbour_table(size), kernels.zobrist_table(size)
    start = random_positions(size, 10, seed=1)[-1]
    max_moves = 3 * size * size
    finals = []
    for seed in (1, 2):
        board = start.flat_board.copy()
        hashes = np.zeros(len(start.board_hashes) + max_moves, np.uint64)
        hashes[: len(start.board_hashes)] = start.board_hashes
        moves, n_hashes = kernels.random_playout(
            board, start.to_play, np.uint64(start.zobrist_hash), hashes,
            len(start.board_hashes), nbrs, zobrist, max_moves, seed)
        assert 0 < moves <= max_moves and len(start.board_hashes) <= n_hashes
        assert n_hashes - len(start.board_hashes) <= moves
        # The final board is a real Go position whose hash ends the history, and no board
        # occurred twice (positional superko).
        assert hashes[n_hashes - 1] == kernels.board_hash(board, zobrist)
        group_of, liberties, _ = kernels.label_groups(board, nbrs, zobrist)
        assert np.all(liberties[np.unique(group_of[group_of >= 0])] > 0)
        assert len(set(hashes[:n_hashes].tolist())) == n_hashes
        finals.append(board)
    # The same seed replays the same game.
    board = start.flat_board.copy()
    hashes = np.zeros(len(start.board_hashes) + max_moves, np.uint64)
    hashes[: len(start.board_hashes)] = start.board_hashes
    kernels.random_playout(board, start.to_play, np.uint64(start.zobrist_hash), hashes,
                           len(start.board_hashes), nbrs, zobrist, max_moves, 2)
    assert np.array_equal(board, finals[1])


def test_random_playout_on_a_full_history_matches_positions() -> None:
    """A playout's moves replayed through Position land on the same board."""
    size = 7
    nbrs, zobrist = kernels.neighbour_table(size), kernels.zobrist_table(size)
    board = np.zeros(size * size, np.int8)
    hashes = np.zeros(200, np.uint64)
    moves, n_hashes = kernels.random_playout(board, 1, np.uint64(0), hashes, 1, nbrs,
                                             zobrist, 150, 11)
    assert moves <= 150
    # Rebuild the game from the hash history: each new hash is reached by one legal move of
    # the player to move, or of the other player after a pass (passes add no hash).
    position = Position.new(size)
    for target in hashes[1:n_hashes]:
        found = False
        for _ in range(2):
            for move in np.flatnonzero(position.legal_moves()[:-1]):
                after = position.play(int(move))
                if after.zobrist_hash == target:
                    position, found = after, True
                    break
            if found:
                break
            position = position.play(position.pass_move)
        assert found, f"no legal move reaches hash {target} from\n{position}"
    assert np.array_equal(position.flat_board, board)


def test_hashes_and_tables() -> None:
    nbrs = kernels.neighbour_table(3)
    assert nbrs.shape == (9, 4) and nbrs.dtype == np.int32
    assert sorted(nbrs[4].tolist()) == [1, 3, 5, 7]
    assert nbrs[0].tolist() == [1, 3, -1, -1]
    zobrist = kernels.zobrist_table(19)
    assert zobrist.shape == (361, 2) and zobrist.dtype == np.uint64
    assert len(set(zobrist.ravel().tolist())) == 722 and np.all(zobrist != 0)
    board = np.zeros(9, np.int8)
    assert kernels.board_hash(board, kernels.zobrist_table(3)) == 0
    board[4] = 1
    assert kernels.board_hash(board, kernels.zobrist_table(3)) == kernels.zobrist_table(3)[4, 0]


def test_numba_cache_is_used_by_a_fresh_process() -> None:
    """Compiled kernels are written to numba's on-disk cache (next to the source, as an
    editable install has it) and a new process loads them instead of compiling."""
    script = """
import json
import numpy as np
from go import Position, kernels
p = Position.new(9).play(40).play(41)
p.legal_moves(); p.area()
nb, z = kernels.neighbour_table(9), kernels.zobrist_table(9)
kernels.random_playout(np.zeros(81, np.int8), 1, np.uint64(0), np.zeros(300, np.uint64), 1,
                       nb, z, 200, 1)
fns = [kernels.legal_mask, kernels.play_inplace, kernels.area_score, kernels.random_playout]
print(json.dumps({f.__name__: [sum(f.stats.cache_hits.values()),
                               sum(f.stats.cache_misses.values())] for f in fns}))
"""
    results = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                              text=True, timeout=300, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    second = results[1]
    for name, (hits, misses) in second.items():
        assert misses == 0 and hits >= 1, (name, second)
