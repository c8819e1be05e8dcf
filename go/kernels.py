"""Compiled inner loops of the rules: play, legality, captures, area scoring.

Every function here works on a *flat* board ``int8[N*N]`` (+1 black, -1 white,
0 empty; index ``row * N + col``, row 0 at the top) plus a neighbour table
``int32[N*N, 4]`` whose missing neighbours are ``-1`` (always at the end of a row).
Zobrist hashes are ``uint64`` XORs of ``zobrist[point, 0]`` for black stones and
``zobrist[point, 1]`` for white stones: they describe the stones only, which is
exactly what positional superko compares.

The functions are plain numba ``njit`` kernels so that other compiled code (the
search's tree walk, random playouts) can call them without going through Python.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

# Status codes returned by ``play_inplace`` and ``move_status``.
OK = 0
OCCUPIED = 1
SUICIDE = 2
SUPERKO = 3


@functools.lru_cache(maxsize=None)
def neighbour_table(size: int) -> np.ndarray:
    """int32[size*size, 4]: the orthogonal neighbours of each point, ``-1`` padded at the end."""
    table = np.full((size * size, 4), -1, dtype=np.int32)
    for row in range(size):
        for col in range(size):
            k = 0
            for dr, dc in ((-1, 0), (0, -1), (0, 1), (1, 0)):
                r, c = row + dr, col + dc
                if 0 <= r < size and 0 <= c < size:
                    table[row * size + col, k] = r * size + c
                    k += 1
    table.setflags(write=False)
    return table


@functools.lru_cache(maxsize=None)
def zobrist_table(size: int) -> np.ndarray:
    """uint64[size*size, 2]: random keys for a black (column 0) or white (column 1) stone."""
    rng = np.random.default_rng(0x5EED_0000 + size)
    table = rng.integers(1, np.iinfo(np.uint64).max, size=(size * size, 2), dtype=np.uint64)
    table.setflags(write=False)
    return table


@numba.njit(cache=True, inline="always")
def _key(zobrist, point, colour):
    return zobrist[point, 0] if colour == 1 else zobrist[point, 1]


@numba.njit(cache=True)
def board_hash(board, zobrist):
    """Zobrist hash (uint64) of the stones on ``board``."""
    h = np.uint64(0)
    for p in range(board.shape[0]):
        if board[p] != 0:
            h ^= _key(zobrist, p, board[p])
    return h


@numba.njit(cache=True)
def label_groups(board, nbrs, zobrist):
    """Label every chain on the board.

    Returns ``(group_of int32[P], liberties int32[P], group_hash uint64[P])``: the chain
    index of each point (-1 for empty), and per chain index its liberty count and the
    XOR of its stones' Zobrist keys.
    """
    n = board.shape[0]
    group_of = np.full(n, -1, np.int32)
    liberties = np.zeros(n, np.int32)
    group_hash = np.zeros(n, np.uint64)
    marked = np.full(n, -1, np.int32)
    stack = np.empty(n, np.int32)
    count = 0
    for start in range(n):
        colour = board[start]
        if colour == 0 or group_of[start] >= 0:
            continue
        group_of[start] = count
        stack[0] = start
        top = 1
        libs = 0
        h = np.uint64(0)
        while top > 0:
            top -= 1
            q = stack[top]
            h ^= _key(zobrist, q, colour)
            for k in range(4):
                r = nbrs[q, k]
                if r < 0:
                    break
                v = board[r]
                if v == 0:
                    if marked[r] != count:
                        marked[r] = count
                        libs += 1
                elif v == colour and group_of[r] < 0:
                    group_of[r] = count
                    stack[top] = r
                    top += 1
        liberties[count] = libs
        group_hash[count] = h
        count += 1
    return group_of, liberties, group_hash


@numba.njit(cache=True)
def _seen(hashes, n_hashes, h):
    for i in range(n_hashes):
        if hashes[i] == h:
            return True
    return False


@numba.njit(cache=True)
def legal_mask(board, colour, h, hashes, n_hashes, nbrs, zobrist, out):
    """Fill ``out`` (bool[P + 1]) with the legal moves of ``colour``; pass (index P) is legal.

    ``hashes[:n_hashes]`` are the Zobrist hashes of every earlier board of the game
    (the current one included): a move that recreates any of them is illegal
    (positional superko). Suicide is illegal.
    """
    n = board.shape[0]
    group_of, liberties, group_hash = label_groups(board, nbrs, zobrist)
    for p in range(n):
        out[p] = False
        if board[p] != 0:
            continue
        new_h = h ^ _key(zobrist, p, colour)
        alive = False
        g0 = -1
        g1 = -1
        g2 = -1
        for k in range(4):
            r = nbrs[p, k]
            if r < 0:
                break
            v = board[r]
            if v == 0:
                alive = True
            elif v == colour:
                if liberties[group_of[r]] > 1:
                    alive = True
            else:
                g = group_of[r]
                if liberties[g] == 1 and g != g0 and g != g1 and g != g2:
                    alive = True
                    new_h ^= group_hash[g]
                    if g0 < 0:
                        g0 = g
                    elif g1 < 0:
                        g1 = g
                    else:
                        g2 = g
        if alive and not _seen(hashes, n_hashes, new_h):
            out[p] = True
    out[n] = True
    return out


@numba.njit(cache=True)
def _chain_has_liberty(board, start, nbrs, stack, mark, stamp):
    colour = board[start]
    stack[0] = start
    mark[start] = stamp
    top = 1
    while top > 0:
        top -= 1
        q = stack[top]
        for k in range(4):
            r = nbrs[q, k]
            if r < 0:
                break
            v = board[r]
            if v == 0:
                return True
            if v == colour and mark[r] != stamp:
                mark[r] = stamp
                stack[top] = r
                top += 1
    return False


@numba.njit(cache=True)
def play_inplace(board, colour, point, h, hashes, n_hashes, nbrs, zobrist):
    """Play a stone of ``colour`` at ``point`` on ``board`` (modified in place).

    Returns ``(status, new_hash, captured)``. On a status other than ``OK`` the board
    may have been changed and must be discarded by the caller (callers play on a copy).
    """
    if board[point] != 0:
        return OCCUPIED, h, 0
    n = board.shape[0]
    board[point] = colour
    h ^= _key(zobrist, point, colour)
    stack = np.empty(2 * n, np.int32)
    mark = np.zeros(n, np.int32)
    stamp = 0
    captured = 0
    for k in range(4):
        r = nbrs[point, k]
        if r < 0:
            break
        if board[r] == -colour:
            stamp += 1
            c, removed = _remove_chain_if_dead(board, r, nbrs, zobrist, stack, mark, stamp)
            captured += c
            h ^= removed
    if captured == 0:
        stamp += 1
        if not _chain_has_liberty(board, point, nbrs, stack, mark, stamp):
            return SUICIDE, h, 0
    if _seen(hashes, n_hashes, h):
        return SUPERKO, h, captured
    return OK, h, captured


@numba.njit(cache=True)
def _remove_chain_if_dead(board, start, nbrs, zobrist, stack, mark, stamp):
    """Remove the chain through ``start`` when it has no liberty; ``stack`` is int32[2P].

    Returns ``(stones_removed, xor_of_their_keys)``.
    """
    n = board.shape[0]
    colour = board[start]
    # stack[0:n] is the chain list, stack[n:2n] the work stack.
    mark[start] = stamp
    stack[n] = start
    top = 1
    size = 0
    while top > 0:
        top -= 1
        q = stack[n + top]
        stack[size] = q
        size += 1
        for k in range(4):
            r = nbrs[q, k]
            if r < 0:
                break
            v = board[r]
            if v == 0:
                return 0, np.uint64(0)
            if v == colour and mark[r] != stamp:
                mark[r] = stamp
                stack[n + top] = r
                top += 1
    h = np.uint64(0)
    for i in range(size):
        q = stack[i]
        h ^= _key(zobrist, q, colour)
        board[q] = 0
    return size, h


@numba.njit(cache=True)
def area_score(board, nbrs):
    """Tromp-Taylor area: ``black_area - white_area`` (stones plus empty regions that
    reach only one colour), as an int. Komi is the caller's business."""
    n = board.shape[0]
    total = 0
    seen = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int32)
    for start in range(n):
        v = board[start]
        if v != 0:
            total += v
            continue
        if seen[start]:
            continue
        seen[start] = True
        stack[0] = start
        top = 1
        region = 0
        reaches_black = False
        reaches_white = False
        while top > 0:
            top -= 1
            q = stack[top]
            region += 1
            for k in range(4):
                r = nbrs[q, k]
                if r < 0:
                    break
                w = board[r]
                if w == 1:
                    reaches_black = True
                elif w == -1:
                    reaches_white = True
                elif not seen[r]:
                    seen[r] = True
                    stack[top] = r
                    top += 1
        if reaches_black and not reaches_white:
            total += region
        elif reaches_white and not reaches_black:
            total -= region
    return total


@numba.njit(cache=True)
def random_playout(board, colour, h, hashes, n_hashes, nbrs, zobrist, max_moves, seed):
    """Play uniformly random legal moves (pass only when nothing else is legal) until two
    passes or ``max_moves``; ``board`` and ``hashes`` (capacity >= n_hashes + max_moves)
    are modified in place. Returns the number of moves played (passes included).

    Used by the rules benchmark to measure the engine without Python in the loop.
    """
    np.random.seed(seed)
    n = board.shape[0]
    mask = np.zeros(n + 1, np.bool_)
    candidates = np.empty(n, np.int32)
    passes = 0
    moves = 0
    while moves < max_moves and passes < 2:
        legal_mask(board, colour, h, hashes, n_hashes, nbrs, zobrist, mask)
        m = 0
        for p in range(n):
            if mask[p]:
                candidates[m] = p
                m += 1
        if m == 0:
            passes += 1
        else:
            p = candidates[np.random.randint(m)]
            status, h, _ = play_inplace(board, colour, p, h, hashes, n_hashes, nbrs, zobrist)
            hashes[n_hashes] = h
            n_hashes += 1
            passes = 0
        colour = -colour
        moves += 1
    return moves
