"""Compiled steps of the batched search: select leaves, gather inputs, expand, back up, free.

All trees of a ``BatchedSearch`` live in one node pool; the kernels take its arrays as one
``tree``, a ``mcts.tree_arrays.TreeArrays`` (read by field name, never by position). A node
holds its board, hash, player to move and pass count; a parent holds its children's
statistics in rows of width ``A = N*N + 1`` (pass last):

    child[c, a]   int32   the child node, ``UNEXPANDED`` (-1, legal, no node yet) or
                          ``ILLEGAL`` (-2)
    edge_n[c, a]  int32   visits through the edge (virtual visits included while pending)
    edge_w[c, a]  float32 sum of values, FROM THE POINT OF VIEW OF THE PLAYER TO MOVE AT c
    prior[c, a]   float32 the evaluator's prior (root: with noise when asked)

and per node ``node_n`` (visits, its own evaluation included) and ``node_w`` (sum of values
from the point of view of the player to move at that node). A value backed up from a child
to its parent is negated: values are always for the player to move.

Virtual loss: each selection adds 1 to ``edge_n`` and ``node_n`` along its path and counts
``virtual_loss`` as a loss for the player who chose each edge (``edge_w -= vl`` and the
child's ``node_w += vl``); backup removes it and adds the real value. With one leaf per
tree the result is the same as without virtual loss.

The games' side of a step (roots, komi, history) travels as one ``GameArrays`` and the
search constants as one ``PuctParams``. Kernels called from Python take each of the three
as a plain tuple of its fields and rebuild it first (see ``mcts.tree_arrays`` for why).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from go import kernels as rules
from go.numba_cache import drop_if_stale
from mcts import tree_arrays
from mcts.tree_arrays import GameArrays, PuctParams, TreeArrays

drop_if_stale(__file__, [rules.__file__, tree_arrays.__file__])

# node_state values
FREE = 0
NEW = 1  # legal moves known, never evaluated (a root made from a Position)
PENDING = 2  # selected in this step, waiting for its evaluation
EXPANDED = 3
TERMINAL = 4

# child[] markers
UNEXPANDED = -1
ILLEGAL = -2


@numba.njit(cache=True)
def terminal_value(board, to_play, komi, nbrs):
    """+1/-1/0 from ``to_play``'s point of view: the Tromp-Taylor score with komi."""
    score = rules.area_score(board, nbrs) - komi
    if score > 0:
        return float(to_play)
    if score < 0:
        return float(-to_play)
    return 0.0


FORCED_BONUS = 1e9
"""Added to the PUCT score of a root move that is below its forced playouts."""


@numba.njit(cache=True, inline="always")
def _pick_child(tree, node, c_init, c_base, fpu_reduction, forced_k):
    """The move with the highest PUCT score at ``node``.

    ``forced_k > 0`` (a self-play root with forced playouts, KataGo): a move that has
    been visited (Wu 2019: "each child of the root that has received any playouts") but
    fewer than ``sqrt(forced_k * P * total child visits)`` times comes first (the
    highest PUCT score among such moves wins); unvisited moves compete by PUCT as usual.
    0 leaves the scores as they are."""
    node_n = tree.node_n
    node_w = tree.node_w
    child = tree.child
    edge_n = tree.edge_n
    edge_w = tree.edge_w
    prior = tree.prior
    n_parent = node_n[node]
    sq = math.sqrt(n_parent)
    c = c_init + math.log((1.0 + n_parent + c_base) / c_base)
    fpu = node_w[node] / max(n_parent, 1) - fpu_reduction
    best = -np.inf
    best_a = -1
    forced_total = 0.0
    if forced_k > 0.0:
        for a in range(child.shape[1]):
            if child[node, a] != ILLEGAL:
                forced_total += edge_n[node, a]
    for a in range(child.shape[1]):
        if child[node, a] == ILLEGAL:
            continue
        n = edge_n[node, a]
        q = edge_w[node, a] / n if n > 0 else fpu
        score = q + c * prior[node, a] * sq / (1.0 + n)
        if forced_k > 0.0 and n > 0 and n < math.sqrt(
                forced_k * prior[node, a] * forced_total):
            score += FORCED_BONUS
        if score > best:
            best = score
            best_a = a
    return best_a


@numba.njit(cache=True)
def backup(tree, leaf, value, root, virtual_loss):
    """Add ``value`` (for the player to move at ``leaf``) from ``leaf`` up to ``root``,
    removing the virtual loss the selection put on the path (visit counts stay)."""
    node_parent = tree.node_parent
    node_move = tree.node_move
    node_w = tree.node_w
    edge_w = tree.edge_w
    x = leaf
    v = value
    while x != root:
        node_w[x] += v - virtual_loss
        p = node_parent[x]
        edge_w[p, node_move[x]] += -v + virtual_loss
        v = -v
        x = p
    node_w[root] += v


@numba.njit(cache=True)
def revert_visit(tree, leaf, root, virtual_loss):
    """Undo one selection's virtual visit from ``leaf`` up to ``root``."""
    node_parent = tree.node_parent
    node_move = tree.node_move
    node_n = tree.node_n
    node_w = tree.node_w
    edge_n = tree.edge_n
    edge_w = tree.edge_w
    x = leaf
    while x != root:
        node_n[x] -= 1
        node_w[x] -= virtual_loss
        p = node_parent[x]
        a = node_move[x]
        edge_n[p, a] -= 1
        edge_w[p, a] += virtual_loss
        x = p
    node_n[root] -= 1


@numba.njit(cache=True)
def select_leaves(tree_fields, game_fields, param_fields, nbrs, zobrist, games, want,
                  out_leaf, out_game, out_boards, out_to_play, out_legal, done, collided):
    """Select up to ``want[i]`` leaves in the tree of game ``games[i]`` (int32[B] each).

    A selection walks from the root by PUCT to an edge without a node, makes the child
    (one ``play_inplace`` from the parent's board), and either scores it by the rules
    when the game is over there (backed up at once) or marks it ``PENDING`` and lists it
    in ``out_leaf``/``out_game`` for evaluation, with the evaluator's inputs for it in
    ``out_boards``/``out_to_play``/``out_legal`` (see ``gather_inputs``). A ``NEW`` root
    is itself the leaf (and the tree's only one this step).

    A selection that reaches a node already pending in this step is a collision: it adds
    no leaf, but its virtual visit stays on the path until every tree of the step is
    selected, so the tree's next selections turn away from that path instead of colliding
    on it again; then each collision's visit is undone (``revert_visit``), which leaves
    the statistics as if it never happened. A tree makes at most ``2 * want[i]``
    selections, so collisions cost at most one extra walk per leaf it may list.
    ``collided[i]`` receives the tree's collisions in this step.

    ``done[i]`` receives the simulations finished or started (terminal + pending leaves,
    the root's own first evaluation excluded), at most ``want[i]``. At the root of game
    ``g`` moves below their forced playouts come first (``game_arrays.forced_k[g]``,
    see ``_pick_child``). ``free_top[0]`` must
    leave at least
    ``sum(want)`` free nodes. ``fpu_root`` is the first-play-urgency reduction at the
    root, ``fpu_reduction`` elsewhere. ``nbrs`` and ``zobrist`` are the rules kernels'
    tables for the board size. Returns the number of leaves listed.
    """
    tree = TreeArrays(*tree_fields)
    game_arrays = GameArrays(*game_fields)
    params = PuctParams(*param_fields)
    node_board = tree.node_board
    node_hash = tree.node_hash
    node_to_play = tree.node_to_play
    node_passes = tree.node_passes
    node_move_number = tree.node_move_number
    node_parent = tree.node_parent
    node_move = tree.node_move
    node_state = tree.node_state
    node_n = tree.node_n
    node_w = tree.node_w
    node_value = tree.node_value
    child = tree.child
    edge_n = tree.edge_n
    edge_w = tree.edge_w
    prior = tree.prior
    free_nodes = tree.free_nodes
    free_top = tree.free_top
    roots = game_arrays.roots
    komi = game_arrays.komi
    max_moves = game_arrays.max_moves
    hist_hashes = game_arrays.hist_hashes
    hist_len = game_arrays.hist_len
    forced_k = game_arrays.forced_k
    c_init = params.c_init
    c_base = params.c_base
    fpu_reduction = params.fpu_reduction
    fpu_root = params.fpu_root
    virtual_loss = params.virtual_loss
    n_points = node_board.shape[1]
    n_actions = n_points + 1
    legal = np.empty(n_actions, np.bool_)
    # the pending leaf and root of each collision, undone once the step is selected
    collision_leaf = np.empty(2 * want.sum(), np.int32)
    collision_root = np.empty(2 * want.sum(), np.int32)
    n_collisions = 0
    n_leaves = 0
    for i in range(games.shape[0]):
        g = games[i]
        root = roots[g]
        done[i] = 0
        collided[i] = 0
        attempts = 0
        while done[i] < want[i] and attempts < 2 * want[i]:
            attempts += 1
            node_n[root] += 1
            state = node_state[root]
            if state == NEW:
                node_state[root] = PENDING
                out_leaf[n_leaves] = root
                out_game[n_leaves] = g
                n_leaves += 1
                break
            if state == PENDING:
                node_n[root] -= 1
                break
            if state == TERMINAL:
                backup(tree, root, node_value[root], root, virtual_loss)
                done[i] += 1
                continue
            node = root
            while True:
                if node == root:
                    a = _pick_child(tree, node, c_init, c_base, fpu_root, forced_k[g])
                else:
                    a = _pick_child(tree, node, c_init, c_base, fpu_reduction, 0.0)
                edge_n[node, a] += 1
                edge_w[node, a] -= virtual_loss
                c = child[node, a]
                if c >= 0:
                    node_n[c] += 1
                    node_w[c] += virtual_loss
                    st = node_state[c]
                    if st == EXPANDED:
                        node = c
                        continue
                    if st == TERMINAL:
                        backup(tree, c, node_value[c], root, virtual_loss)
                        done[i] += 1
                    else:  # PENDING: another selection of this step got here first
                        collision_leaf[n_collisions] = c
                        collision_root[n_collisions] = root
                        n_collisions += 1
                        collided[i] += 1
                    break
                # a new node
                free_top[0] -= 1
                c = free_nodes[free_top[0]]
                child[node, a] = c
                colour = node_to_play[node]
                board = node_board[c]
                board[:] = node_board[node]
                if a == n_points:
                    h = node_hash[node]
                    passes = node_passes[node] + 1
                else:
                    _, h, _ = rules.play_inplace(board, colour, a, node_hash[node],
                                                 hist_hashes[g], 0, nbrs, zobrist)
                    passes = 0
                node_hash[c] = h
                node_to_play[c] = -colour
                node_passes[c] = passes
                node_move_number[c] = node_move_number[node] + 1
                node_parent[c] = node
                node_move[c] = a
                node_n[c] = 1
                node_w[c] = virtual_loss
                edge_n[c, :] = 0
                edge_w[c, :] = 0.0
                prior[c, :] = 0.0
                over = passes >= 2 or (
                    max_moves[g] >= 0 and node_move_number[c] >= max_moves[g])
                if over:
                    node_state[c] = TERMINAL
                    child[c, :] = ILLEGAL
                    v = terminal_value(board, -colour, komi[g], nbrs)
                    node_value[c] = v
                    backup(tree, c, v, root, virtual_loss)
                    done[i] += 1
                    break
                # superko: the game's boards up to the root, then the path's boards
                depth = node_move_number[c] - node_move_number[root]
                hl = hist_len[g]
                hashes = np.empty(hl + depth, np.uint64)
                hashes[:hl] = hist_hashes[g, :hl]
                k = hl
                x = c
                while x != root:
                    hashes[k] = node_hash[x]
                    k += 1
                    x = node_parent[x]
                rules.legal_mask(board, -colour, h, hashes, k, nbrs, zobrist, legal)
                for b in range(n_actions):
                    child[c, b] = UNEXPANDED if legal[b] else ILLEGAL
                node_state[c] = PENDING
                out_leaf[n_leaves] = c
                out_game[n_leaves] = g
                n_leaves += 1
                done[i] += 1
                break
    for j in range(n_collisions):
        revert_visit(tree, collision_leaf[j], collision_root[j], virtual_loss)
    gather_inputs(tree, game_arrays, out_leaf[:n_leaves], out_game[:n_leaves], out_boards,
                  out_to_play, out_legal)
    return n_leaves


@numba.njit(cache=True)
def gather_inputs(tree, game_arrays, leaves, leaf_games, out_boards, out_to_play, out_legal):
    """Fill the evaluator's inputs for each leaf: ``out_boards[i, k]`` (int8[B, H, P]) is
    the board k moves before the leaf, reaching into the root's history
    (``game_arrays.hist_boards[g]``, root board first) when the path is shorter;
    ``out_to_play`` int8[B] and ``out_legal`` bool[B, A]. Called by ``select_leaves``."""
    node_board = tree.node_board
    node_parent = tree.node_parent
    node_to_play = tree.node_to_play
    child = tree.child
    roots = game_arrays.roots
    hist_boards = game_arrays.hist_boards
    history = out_boards.shape[1]
    for i in range(leaves.shape[0]):
        x = leaves[i]
        g = leaf_games[i]
        root = roots[g]
        out_to_play[i] = node_to_play[x]
        for a in range(child.shape[1]):
            out_legal[i, a] = child[x, a] != ILLEGAL
        j = -1
        for k in range(history):
            if j < 0:
                out_boards[i, k] = node_board[x]
                if x == root:
                    j = 1
                else:
                    x = node_parent[x]
            else:
                out_boards[i, k] = hist_boards[g, j]
                j += 1


@numba.njit(cache=True)
def expand_leaves(tree_fields, game_fields, param_fields, nbrs, leaves, leaf_games, priors,
                  values):
    """Store each leaf's priors (``priors`` float32[B, A], masked to its legal moves and
    renormalised; uniform if the evaluator gave them no mass), mark it expanded and back
    its value up (``values`` float32[B], for the leaf's player to move, clipped to
    [-1, 1]).

    Pass floor (``params.pass_floor`` 1.0, ``SearchConfig.pass_floor``): at a leaf reached
    by a pass (one pass in a row), the player to move can pass as well, and two passes
    end the game on the Tromp-Taylor count; so the leaf is worth at least that count's
    result to them (``terminal_value``), whatever the evaluator says. Without it a short
    search (a fast playout-cap search, a few visits per move) can take a pass that hands
    the opponent the game at once: the evaluator sees the board, not that the game ends
    on the next pass. ``nbrs``: the rules kernels' neighbour table."""
    tree = TreeArrays(*tree_fields)
    game_arrays = GameArrays(*game_fields)
    params = PuctParams(*param_fields)
    virtual_loss = params.virtual_loss
    pass_floor = params.pass_floor > 0.0
    roots = game_arrays.roots
    komi = game_arrays.komi
    node_state = tree.node_state
    node_value = tree.node_value
    node_passes = tree.node_passes
    node_board = tree.node_board
    node_to_play = tree.node_to_play
    child = tree.child
    prior = tree.prior
    n_actions = child.shape[1]
    for i in range(leaves.shape[0]):
        c = leaves[i]
        total = 0.0
        count = 0
        for a in range(n_actions):
            if child[c, a] != ILLEGAL:
                count += 1
                p = priors[i, a]
                if p > 0.0:
                    total += p
        for a in range(n_actions):
            if child[c, a] == ILLEGAL:
                prior[c, a] = 0.0
            elif total > 0.0:
                p = priors[i, a]
                prior[c, a] = p / total if p > 0.0 else 0.0
            else:
                prior[c, a] = 1.0 / count
        v = min(1.0, max(-1.0, values[i]))
        g = leaf_games[i]
        if pass_floor and node_passes[c] == 1:
            v = max(v, terminal_value(node_board[c], node_to_play[c], komi[g], nbrs))
        node_state[c] = EXPANDED
        node_value[c] = v
        backup(tree, c, v, roots[g], virtual_loss)


@numba.njit(cache=True)
def abandon_leaves(tree_fields, roots, leaves, leaf_games, virtual_loss):
    """Undo the selections of pending leaves whose evaluation failed: a ``NEW`` root goes
    back to ``NEW``, other leaves are removed from their parent and freed."""
    tree = TreeArrays(*tree_fields)
    node_parent = tree.node_parent
    node_move = tree.node_move
    node_state = tree.node_state
    child = tree.child
    free_nodes = tree.free_nodes
    free_top = tree.free_top
    for i in range(leaves.shape[0]):
        c = leaves[i]
        root = roots[leaf_games[i]]
        revert_visit(tree, c, root, virtual_loss)
        if c == root:
            node_state[c] = NEW
        else:
            child[node_parent[c], node_move[c]] = UNEXPANDED
            node_state[c] = FREE
            free_nodes[free_top[0]] = c
            free_top[0] += 1


@numba.njit(cache=True)
def free_subtree(tree_fields, start, keep):
    """Return every node under ``start`` (itself included) to the free list, except the
    subtree of ``keep`` (-1: keep nothing)."""
    tree = TreeArrays(*tree_fields)
    child = tree.child
    node_state = tree.node_state
    free_nodes = tree.free_nodes
    free_top = tree.free_top
    if start < 0 or start == keep:
        return
    stack = np.empty(child.shape[0], np.int32)
    stack[0] = start
    top = 1
    while top > 0:
        top -= 1
        x = stack[top]
        if node_state[x] != TERMINAL:
            for a in range(child.shape[1]):
                c = child[x, a]
                if c >= 0 and c != keep:
                    stack[top] = c
                    top += 1
        node_state[x] = FREE
        free_nodes[free_top[0]] = x
        free_top[0] += 1
