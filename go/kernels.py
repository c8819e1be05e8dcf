"""Compiled inner loops of the rules: play, legality, captures, area scoring.

Every function here works on a *flat* board ``int8[N*N]`` (+1 black, -1 white,
0 empty; index ``row * N + col``, row 0 at the top) plus a neighbour table
``int32[N*N, 4]`` whose missing neighbours are ``-1`` (always at the end of a row).
Zobrist hashes are ``uint64`` XORs of ``zobrist[point, 0]`` for black stones and
``zobrist[point, 1]`` for white stones: they describe the stones only, which is
exactly what positional superko compares.

The functions are plain numba ``njit`` kernels so that other compiled code (the
search's tree walk, random playouts) can call them without going through Python:

* ``legal_mask``: every legal move at once (chains labelled once, superko through a
  hash set when the history is long); the board is only read.
* ``play_inplace``: play one move, checking superko against ``hashes[:n_hashes]``; the
  board is unchanged when the move is illegal. Allocates one int32[2P] scratch array.
* ``probe_move`` / ``commit_move``: the same in two steps with caller-owned scratch
  arrays (no allocation), for loops that keep their own superko set.
* ``area_score``, ``area_owner``, ``board_hash``, ``label_groups``, ``random_playout``.

``cache=True`` writes the compiled code next to this file (``__pycache__``), or to
numba's user cache directory when that is not writable, so only the first process
after a change compiles.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

# Status codes returned by ``play_inplace`` and ``probe_move``.
OK = 0
OCCUPIED = 1
SUICIDE = 2
SUPERKO = 3


@functools.cache
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


@functools.cache
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
    """Whether ``h`` is among ``hashes[:n_hashes]`` (linear scan)."""
    for i in range(n_hashes):
        if hashes[i] == h:
            return True
    return False


# Superko look-ups go through an open-addressing set of hashes once the history is long:
# a uint64 table of power-of-two length, 0 marking an empty slot. No board reached by
# playing a stone is empty, and the empty board is the only one whose hash is 0 by
# construction; a non-empty board hashing to 0 (chance 2**-64) is looked up linearly.
_LINEAR_LIMIT = 24


@numba.njit(cache=True)
def _hash_set_capacity(n):
    cap = 16
    while cap < 2 * n:
        cap *= 2
    return cap


@numba.njit(cache=True, inline="always")
def _slot(h, mask):
    return (h ^ (h >> np.uint64(29))) & mask


@numba.njit(cache=True)
def _set_insert(table, h):
    if h == 0:
        return
    mask = np.uint64(table.shape[0] - 1)
    i = _slot(h, mask)
    while True:
        v = table[i]
        if v == h:
            return
        if v == 0:
            table[i] = h
            return
        i = (i + np.uint64(1)) & mask


@numba.njit(cache=True)
def _set_contains(table, h):
    mask = np.uint64(table.shape[0] - 1)
    i = _slot(h, mask)
    while True:
        v = table[i]
        if v == h:
            return True
        if v == 0:
            return False
        i = (i + np.uint64(1)) & mask


@numba.njit(cache=True)
def _hash_set(hashes, n_hashes):
    table = np.zeros(_hash_set_capacity(n_hashes), np.uint64)
    for i in range(n_hashes):
        _set_insert(table, hashes[i])
    return table


@numba.njit(cache=True)
def legal_mask(board, colour, h, hashes, n_hashes, nbrs, zobrist, out):
    """Fill ``out`` (bool[P + 1]) with the legal moves of ``colour``; pass (index P) is legal.

    ``hashes[:n_hashes]`` are the Zobrist hashes of every earlier board of the game
    (the current one included): a move that recreates any of them is illegal
    (positional superko). Suicide is illegal. ``board`` is only read. Returns ``out``.
    """
    n = board.shape[0]
    group_of, liberties, group_hash = label_groups(board, nbrs, zobrist)
    use_table = n_hashes > _LINEAR_LIMIT
    if use_table:
        table = _hash_set(hashes, n_hashes)
    else:
        table = np.zeros(1, np.uint64)
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
        if not alive:
            continue
        if use_table and new_h != 0:
            repeated = _set_contains(table, new_h)
        else:
            repeated = _seen(hashes, n_hashes, new_h)
        out[p] = not repeated
    out[n] = True
    return out


@numba.njit(cache=True)
def _has_liberty_besides(board, start, exclude, nbrs, work):
    """Whether the chain through ``start`` has a liberty other than ``exclude``.

    Marks visited stones by doubling them on ``board`` and restores them before
    returning; ``work`` is int32 scratch of at least P entries.
    """
    colour = board[start]
    marked = colour * 2
    board[start] = marked
    work[0] = start
    count = 1
    i = 0
    found = False
    while i < count and not found:
        q = work[i]
        i += 1
        for k in range(4):
            r = nbrs[q, k]
            if r < 0:
                break
            v = board[r]
            if v == 0:
                if r != exclude:
                    found = True
                    break
            elif v == colour:
                board[r] = marked
                work[count] = r
                count += 1
    for j in range(count):
        board[work[j]] = colour
    return found


@numba.njit(cache=True)
def _collect_chain(board, start, nbrs, zobrist, caps, n_caps):
    """Append the chain through ``start`` to ``caps[n_caps:]``; return the new count and
    the XOR of the chain's Zobrist keys. The board is left as it was."""
    colour = board[start]
    marked = colour * 2
    board[start] = marked
    first = n_caps
    caps[n_caps] = start
    n_caps += 1
    i = first
    h = np.uint64(0)
    while i < n_caps:
        q = caps[i]
        i += 1
        h ^= _key(zobrist, q, colour)
        for k in range(4):
            r = nbrs[q, k]
            if r < 0:
                break
            if board[r] == colour:
                board[r] = marked
                caps[n_caps] = r
                n_caps += 1
    for j in range(first, n_caps):
        board[caps[j]] = colour
    return n_caps, h


@numba.njit(cache=True)
def probe_move(board, colour, point, h, nbrs, zobrist, work, caps):
    """What a stone of ``colour`` at ``point`` would do, without superko and without
    changing ``board`` (which must be writable: chains are marked while walked).

    ``work`` and ``caps`` are int32 scratch arrays of at least P entries. Returns
    ``(status, new_hash, n_captured)`` with status ``OK``, ``OCCUPIED`` or ``SUICIDE``;
    on ``OK`` the stones the move would capture are ``caps[:n_captured]``.
    """
    if board[point] != 0:
        return OCCUPIED, h, 0
    new_h = h ^ _key(zobrist, point, colour)
    alive = False
    n_caps = 0
    for k in range(4):
        r = nbrs[point, k]
        if r < 0:
            break
        v = board[r]
        if v == 0:
            alive = True
        elif v == colour:
            if not alive and _has_liberty_besides(board, r, point, nbrs, work):
                alive = True
        else:
            already = False
            for j in range(n_caps):
                if caps[j] == r:
                    already = True
                    break
            if not already and not _has_liberty_besides(board, r, point, nbrs, work):
                n_caps, removed = _collect_chain(board, r, nbrs, zobrist, caps, n_caps)
                new_h ^= removed
                alive = True
    if not alive:
        return SUICIDE, h, 0
    return OK, new_h, n_caps


@numba.njit(cache=True, inline="always")
def commit_move(board, colour, point, caps, n_caps):
    """Place the stone and remove ``caps[:n_caps]``, as found legal by ``probe_move``."""
    board[point] = colour
    for j in range(n_caps):
        board[caps[j]] = 0


@numba.njit(cache=True)
def play_inplace(board, colour, point, h, hashes, n_hashes, nbrs, zobrist):
    """Play a stone of ``colour`` at ``point`` on ``board`` (modified in place).

    Returns ``(status, new_hash, captured)``: status ``OK``, ``OCCUPIED``, ``SUICIDE`` or
    ``SUPERKO`` (the new board's hash is among ``hashes[:n_hashes]``). On any status
    other than ``OK`` the board is left unchanged.
    """
    n = board.shape[0]
    scratch = np.empty(2 * n, np.int32)
    work = scratch[:n]
    caps = scratch[n:]
    status, new_h, n_caps = probe_move(board, colour, point, h, nbrs, zobrist, work, caps)
    if status != OK:
        return status, h, 0
    if _seen(hashes, n_hashes, new_h):
        return SUPERKO, new_h, n_caps
    commit_move(board, colour, point, caps, n_caps)
    return OK, new_h, n_caps


@numba.njit(cache=True)
def area_score(board, nbrs):
    """Tromp-Taylor area: ``black_area - white_area`` (stones plus empty regions that
    reach only one colour), as an int: the sum of ``area_owner``. Komi is the caller's
    business."""
    owner = area_owner(board, nbrs)
    total = 0
    for i in range(owner.shape[0]):
        total += owner[i]
    return total


@numba.njit(cache=True)
def area_owner(board, nbrs):
    """Tromp-Taylor owner of every point, ``int8[N*N]``: +1 black (a black stone, or an
    empty point whose region reaches only black), -1 white likewise, 0 neutral.
    ``area_score`` sums it."""
    n = board.shape[0]
    owner = np.zeros(n, np.int8)
    seen = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int32)
    region = np.empty(n, np.int32)
    for start in range(n):
        if board[start] != 0:
            owner[start] = board[start]
            continue
        if seen[start]:
            continue
        seen[start] = True
        stack[0] = start
        top = 1
        size = 0
        reaches_black = False
        reaches_white = False
        while top > 0:
            top -= 1
            q = stack[top]
            region[size] = q
            size += 1
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
        colour = 0
        if reaches_black and not reaches_white:
            colour = 1
        elif reaches_white and not reaches_black:
            colour = -1
        for i in range(size):
            owner[region[i]] = colour
    return owner


@numba.njit(cache=True)
def random_playout(board, colour, h, hashes, n_hashes, nbrs, zobrist, max_moves, seed):
    """Play uniformly random legal moves, pass included (pass is always legal), until two
    consecutive passes or ``max_moves`` moves: the game OpenSpiel's random player plays.

    ``board`` and ``hashes`` (capacity >= n_hashes + max_moves) are modified in place:
    every new board's hash is appended. Returns ``(moves, n_hashes)``: the number of moves
    played (passes included) and the new length of the hash history. The same ``seed``
    plays the same game. Used by the rules benchmark to measure the engine without Python.
    """
    np.random.seed(seed)
    n = board.shape[0]
    table = np.zeros(_hash_set_capacity(n_hashes + max_moves + 1), np.uint64)
    for i in range(n_hashes):
        _set_insert(table, hashes[i])
    empties = np.empty(n, np.int32)
    where = np.full(n, -1, np.int32)
    n_empty = 0
    for p in range(n):
        if board[p] == 0:
            where[p] = n_empty
            empties[n_empty] = p
            n_empty += 1
    work = np.empty(n, np.int32)
    caps = np.empty(n, np.int32)
    passes = 0
    moves = 0
    while moves < max_moves and passes < 2:
        untried = n_empty
        while True:
            j = np.random.randint(untried + 1)
            if j == untried:  # pass
                passes += 1
                break
            p = empties[j]
            status, new_h, n_caps = probe_move(board, colour, p, h, nbrs, zobrist, work, caps)
            if status == OK and not (new_h != 0 and _set_contains(table, new_h)) and not (
                    new_h == 0 and _seen(hashes, n_hashes, new_h)):
                commit_move(board, colour, p, caps, n_caps)
                # p leaves the empty list, captured stones join it.
                last = empties[n_empty - 1]
                empties[j] = last
                where[last] = j
                where[p] = -1
                n_empty -= 1
                for c in range(n_caps):
                    q = caps[c]
                    where[q] = n_empty
                    empties[n_empty] = q
                    n_empty += 1
                h = new_h
                _set_insert(table, h)
                hashes[n_hashes] = h
                n_hashes += 1
                passes = 0
                break
            # Illegal: move it past the untried part and draw again.
            untried -= 1
            other = empties[untried]
            empties[untried] = p
            empties[j] = other
            where[p] = untried
            where[other] = j
        colour = -colour
        moves += 1
    return moves, n_hashes
