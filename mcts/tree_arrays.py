"""The typed inputs of the search kernels (``mcts.tree_kernels``), as NamedTuples of arrays.

``TreeArrays`` is every array of the node pool, ``GameArrays`` what the kernels know of each
game's root, ``PuctParams`` the selection constants. Kernels read them by field name, never
by position, so two arrays can no longer be swapped by a caller.

Calling convention: a kernel takes each of these as a plain tuple of its fields
(``tuple(tree_arrays)``, kept ready as ``NodePool.fields``) and rebuilds the NamedTuple as
its first statement (``tree = TreeArrays(*tree_fields)``, free once compiled). numba's
dispatcher types a plain tuple of arrays in C but spends about a microsecond more on each
NamedTuple argument, and the search calls its kernels several times per step: passed as
NamedTuples they cost about 10 µs more per step, a fifth of what a search of one game with
one leaf per step spends per simulation.
Values are from the point of view of the player to move at the node named in each comment
(see ``mcts.tree_kernels``). C nodes, P = N*N points, A = P + 1 moves (pass last), G games.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class TreeArrays(NamedTuple):
    """Every array of a ``NodePool``, by name: the kernels' ``tree``. The arrays are the
    pool's own, not copies: a kernel that writes them writes the pool."""

    node_board: np.ndarray  # int8[C, P], the board at the node
    node_hash: np.ndarray  # uint64[C], its Zobrist hash
    node_to_play: np.ndarray  # int8[C], +1 black / -1 white
    node_passes: np.ndarray  # int8[C], consecutive passes just played
    node_move_number: np.ndarray  # int32[C], moves since the game's start
    node_parent: np.ndarray  # int32[C], -1 for a root
    node_move: np.ndarray  # int32[C], the move from the parent
    node_state: np.ndarray  # int8[C], tree_kernels.FREE/NEW/PENDING/EXPANDED/TERMINAL
    node_n: np.ndarray  # int32[C], visits (own evaluation and pending visits included)
    node_w: np.ndarray  # float64[C], sum of values, player to move at the node
    node_value: np.ndarray  # float32[C], evaluator or rules value, player to move
    child: np.ndarray  # int32[C, A], child node, tree_kernels.UNEXPANDED or ILLEGAL
    edge_n: np.ndarray  # int32[C, A], visits through the edge
    edge_w: np.ndarray  # float32[C, A], sum of values, player to move at the parent
    prior: np.ndarray  # float32[C, A], the evaluator's prior (root: noise mixed in)
    free_nodes: np.ndarray  # int32[C], free node ids in free_nodes[:free_top[0]]
    free_top: np.ndarray  # int64[1], how many free ids; taken from the end



class GameArrays(NamedTuple):
    """What the kernels know of each of the G games of a ``BatchedSearch`` (its root and
    what came before it); H = history planes, K >= the longest game's hash count."""

    roots: np.ndarray  # int32[G], the root node of each game's tree, -1 when none
    komi: np.ndarray  # float64[G]
    max_moves: np.ndarray  # int32[G], move limit of each game, -1 when none
    hist_hashes: np.ndarray  # uint64[G, K], the game's board hashes up to the root
    hist_len: np.ndarray  # int32[G], how many of hist_hashes[g] are set
    hist_boards: np.ndarray  # int8[G, H, P], the root's board and the ones before it
    forced_k: np.ndarray  # float64[G], forced-playout factor at each root, 0 for none


class PuctParams(NamedTuple):
    """The search constants (see ``mcts.config.SearchConfig``); all floats."""

    c_init: float  # c_puct_init
    c_base: float  # c_puct_base
    fpu_reduction: float  # first-play urgency reduction below the root
    fpu_root: float  # the same at the root
    virtual_loss: float  # counted as a loss per pending visit
    pass_floor: float  # 1.0: a leaf reached by a pass is worth at least the count, else 0.0
