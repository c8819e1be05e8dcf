"""``BatchedSearch``: PUCT search over the trees of many games, one evaluator call per step.

Every value here is from the point of view of the player to move at the position it
belongs to (``root_value``: the root's player; ``RootStats.q``: the root's player, who
chooses the move). See ``mcts.tree_kernels`` for the tree layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from go import Position
from go import kernels as rules
from mcts import tree_kernels as tk
from mcts.config import SearchConfig
from mcts.evaluator import Evaluator
from mcts.node_pool import NodePool
from mcts.passing import pass_refused
from mcts.tree_arrays import GameArrays, PuctParams


@dataclass(frozen=True)
class RootStats:
    """Statistics of one node's moves (indices are moves, pass last; shapes [N*N + 1]).

    visits: int32 visit counts; q: float32 mean value from the point of view of the player
    to move at the node (NaN where unvisited); priors: float32 (with the root's noise if
    any); legal: bool, the moves the search may choose (the pass guard applied at the root);
    value: the node's mean value for its player to move; total_visits: the node's own visit
    count (its own evaluation included).
    """

    visits: np.ndarray
    q: np.ndarray
    priors: np.ndarray
    legal: np.ndarray
    value: float
    total_visits: int


class BatchedSearch:
    """The search trees of ``num_games`` games, searched together.

    Each step of ``run`` selects ``config.leaves_per_tree`` leaves in every listed tree,
    sends all of them to ``evaluator.evaluate`` in ONE call, then expands them and backs
    their values up (negated at each ply). Terminal leaves (two passes, move limit) are
    valued by the Tromp-Taylor score instead: +1 / -1 / 0 for the player to move.

    A game loop calls ``set_root(g, position)`` once, then per move ``run()``,
    ``choose_move(g)`` (or ``should_resign(g)``), ``policy_target(g)`` for training and
    ``advance(g, move)``, which keeps the chosen move's subtree.

    Attributes: ``num_games``, ``board_size``, ``history_length``, ``config``,
    ``evaluator``, ``pool`` (the ``NodePool``), ``evaluations`` (leaves evaluated so far),
    ``evaluator_calls`` (batches sent so far), ``steps`` (selection steps so far) and
    ``collisions`` (selections so far that reached a leaf already pending in their step:
    they add no leaf to the batch).
    """

    def __init__(
        self, evaluator: Evaluator, config: SearchConfig, num_games: int,
        seed: int | None = None,
    ) -> None:
        if isinstance(num_games, bool) or not isinstance(num_games, (int, np.integer)) \
                or num_games < 1:
            raise ValueError(f"num_games must be an integer >= 1, got {num_games!r}")
        size = int(evaluator.board_size)
        history = int(evaluator.history_length)
        if history < 1:
            raise ValueError(f"evaluator.history_length must be >= 1, got {history}")
        self.evaluator = evaluator
        self.config = config
        self.num_games = int(num_games)
        self.board_size = size
        self.history_length = history
        self._points = size * size
        self._actions = size * size + 1
        self._rng = np.random.default_rng(seed)
        self._nbrs = rules.neighbour_table(size)
        self._zobrist = rules.zobrist_table(size)
        g = self.num_games
        self.pool = NodePool(size, g * config.nodes_per_game())
        self._roots = np.full(g, -1, np.int32)
        self._komi = np.zeros(g, np.float64)
        self._max_moves = np.full(g, -1, np.int32)
        self._hist_hashes = np.zeros((g, 64), np.uint64)
        self._hist_len = np.zeros(g, np.int32)
        self._hist_boards = np.zeros((g, history, self._points), np.int8)
        self._forced_k = np.zeros(g, np.float64)
        self._game_fields = self._make_game_fields()
        self._params = PuctParams(
            c_init=float(config.c_puct_init), c_base=float(config.c_puct_base),
            fpu_reduction=float(config.fpu_reduction),
            fpu_root=float(config.root_fpu_reduction()),
            virtual_loss=float(config.virtual_loss),
            pass_floor=1.0 if config.pass_floor else 0.0)
        self._param_fields = tuple(self._params)
        self._positions: list[Position | None] = [None] * g
        self._resign_disabled = np.zeros(g, np.bool_)
        self._needs_noise = np.zeros(g, np.bool_)
        self._full = np.ones(g, np.bool_)
        leaves = g * config.leaves_per_tree
        self._out_leaf = np.zeros(leaves, np.int32)
        self._out_game = np.zeros(leaves, np.int32)
        self._done = np.zeros(g, np.int32)
        self._collided = np.zeros(g, np.int32)
        self.evaluations = 0
        self.evaluator_calls = 0
        self.steps = 0
        self.collisions = 0

    # ------------------------------------------------------------------ roots
    def set_root(self, game: int, position: Position) -> None:
        """Start a fresh tree for ``game`` at ``position`` (a new game, or after an undo).

        Also draws whether this game may resign (``resign_disabled``).
        """
        g = self._game(game)
        if not isinstance(position, Position):
            raise TypeError(f"position must be a go.Position, got {type(position).__name__}")
        if position.size != self.board_size:
            raise ValueError(f"position is {position.size}x{position.size} but the evaluator "
                             f"is for {self.board_size}x{self.board_size}")
        if self._roots[g] >= 0:
            self.pool.free_subtree(int(self._roots[g]))
        self._komi[g] = position.komi
        self._max_moves[g] = -1 if position.max_moves is None else position.max_moves
        self._resign_disabled[g] = self._rng.random() < self.config.resign_disabled_fraction
        self._install_root(g, position, self._make_root(position))

    def advance(self, game: int, move: int) -> None:
        """Play ``move`` in ``game``; the new root keeps the move's subtree if it has one.

        ``move`` may be any legal move, searched or not. Raises ``go.IllegalMove``.
        """
        g = self._game(game)
        position = self._position(g).play(move)
        pool = self.pool
        root = int(self._roots[g])
        c = -1
        if pool.node_state[root] == tk.EXPANDED:
            c = int(pool.child[root, int(move)])
        if c >= 0 and pool.node_state[c] in (tk.EXPANDED, tk.TERMINAL):
            if pool.node_hash[c] != np.uint64(position.zobrist_hash):
                raise RuntimeError(f"tree node for move {move} does not match the position")
            pool.free_subtree(root, keep=c)
            pool.node_parent[c] = -1
            pool.node_move[c] = -1
        else:
            pool.free_subtree(root)
            c = self._make_root(position)
        self._install_root(g, position, c)

    def drop_tree(self, game: int) -> None:
        """Forget ``game``'s tree (every evaluation in it) and start a fresh one at the same
        position; the game's resign draw (``resign_disabled``) is kept. Call it when the
        evaluator's network changed (a promotion), so no reused subtree keeps values of
        the old network."""
        g = self._game(game)
        position = self._position(g)
        self.pool.free_subtree(int(self._roots[g]))
        self._install_root(g, position, self._make_root(position))

    def position(self, game: int) -> Position:
        """The position at the root of ``game``'s tree."""
        return self._position(self._game(game))

    # ------------------------------------------------------------------ searching
    def run(self, simulations: int | None = None, games: Sequence[int] | None = None) -> None:
        """Add ``simulations`` to each listed game's tree (default: every game with a
        root); games whose root is over are skipped. The default is
        ``config.num_simulations`` for a full search and
        ``config.fast_simulation_count()`` for a fast one (see ``full_search``).

        A fresh root is evaluated first (that evaluation is not a simulation). Each step
        evaluates the leaves of all still-running games in one ``evaluator.evaluate`` call.
        """
        sims = self.config.num_simulations if simulations is None else simulations
        if isinstance(sims, bool) or not isinstance(sims, (int, np.integer)) or sims < 0:
            raise ValueError(f"simulations must be an integer >= 0, got {simulations!r}")
        if games is None:
            chosen = np.flatnonzero(self._roots >= 0).astype(np.int32)
        else:
            chosen = np.array(list(dict.fromkeys(self._game(g) for g in games)), np.int32)
            missing = [int(g) for g in chosen if self._roots[g] < 0]
            if missing:
                raise ValueError(f"game {missing[0]} has no root: call set_root first")
        pool = self.pool
        remaining = np.full(len(chosen), int(sims), np.int64)
        if simulations is None:
            remaining[~self._full[chosen]] = self.config.fast_simulation_count()
        remaining[pool.node_state[self._roots[chosen]] == tk.TERMINAL] = 0
        k = self.config.leaves_per_tree
        while True:
            active = remaining > 0
            if not active.any():
                break
            games_now = chosen[active]
            want = np.minimum(remaining[active], k).astype(np.int32)
            most = int(want.sum())
            pool.reserve(most)
            boards = np.empty((most, self.history_length, self._points), np.int8)
            to_play = np.empty(most, np.int8)
            legal = np.empty((most, self._actions), np.bool_)
            n = tk.select_leaves(pool.fields, self._game_fields, self._param_fields,
                                 self._nbrs, self._zobrist, games_now, want, self._out_leaf,
                                 self._out_game, boards, to_play, legal, self._done,
                                 self._collided)
            remaining[active] -= self._done[: len(games_now)]
            self.steps += 1
            self.collisions += int(self._collided[: len(games_now)].sum())
            if n:
                self._evaluate(self._out_leaf[:n], self._out_game[:n], boards[:n],
                               to_play[:n], legal[:n])
            if self._needs_noise.any():
                for g in np.flatnonzero(self._needs_noise):
                    if pool.node_state[self._roots[g]] == tk.EXPANDED:
                        self._add_noise(int(g))

    def _evaluate(self, leaves: np.ndarray, leaf_games: np.ndarray, boards: np.ndarray,
                  to_play: np.ndarray, legal: np.ndarray) -> None:
        """Evaluate the pending ``leaves`` (of games ``leaf_games``) from the inputs
        ``select_leaves`` gathered, then expand them and back their values up."""
        pool = self.pool
        n = len(leaves)
        size = self.board_size
        try:
            priors, values = self.evaluator.evaluate(
                boards.reshape(n, self.history_length, size, size), to_play, legal)
            priors = np.asarray(priors, np.float32)
            values = np.asarray(values, np.float32)
            if priors.shape != (n, self._actions):
                raise ValueError(f"evaluator returned priors of shape {priors.shape}, "
                                 f"expected {(n, self._actions)}")
            if values.shape != (n,):
                raise ValueError(f"evaluator returned values of shape {values.shape}, "
                                 f"expected {(n,)}")
            if not (np.isfinite(values).all() and np.isfinite(priors).all()):
                raise ValueError("evaluator returned a NaN or infinite prior or value")
        except BaseException:
            tk.abandon_leaves(pool.fields, self._roots, leaves, leaf_games,
                              self._params.virtual_loss)
            raise
        self.evaluations += n
        self.evaluator_calls += 1
        tk.expand_leaves(pool.fields, self._game_fields, self._param_fields, self._nbrs,
                         leaves, leaf_games, np.ascontiguousarray(priors),
                         np.ascontiguousarray(values))

    # ------------------------------------------------------------------ results
    def visit_counts(self, game: int, moves: Sequence[int] = ()) -> np.ndarray:
        """int32[N*N + 1]: visits of each move at the root (or at the node reached by
        playing ``moves`` from the root inside the tree)."""
        node = self._node_at(self._game(game), moves)
        return self.pool.edge_n[node].copy()

    def full_search(self, game: int) -> bool:
        """Whether ``game``'s current root gets a full search (``config.num_simulations``,
        noise, forced playouts) whose ``policy_target`` trains the policy, rather than a
        fast one (playout cap randomization, ``config.full_search_fraction``)."""
        return bool(self._full[self._game(game)])

    def target_visits(self, game: int) -> np.ndarray:
        """int64[N*N + 1]: the root's visit counts with forced playouts pruned
        (``pruned_visits``) when they were on at this root, else ``visit_counts``."""
        g = self._game(game)
        visits = self.visit_counts(g)
        k = float(self._forced_k[g])
        if k <= 0:
            return visits.astype(np.int64)
        stats = self.root_stats(g)
        return pruned_visits(visits, stats.q, stats.priors, stats.total_visits,
                             self.config.c_puct_init, self.config.c_puct_base, k)

    def policy_target(self, game: int) -> np.ndarray:
        """float32[N*N + 1]: the root's visit distribution, the policy training target
        (forced playouts pruned, see ``target_visits``)."""
        counts = self.target_visits(game).astype(np.float64)
        total = counts.sum()
        if total <= 0:
            raise ValueError(f"game {game} has no visits at its root: call run() first")
        return (counts / total).astype(np.float32)

    def root_value(self, game: int) -> float:
        """Mean value of the root for its player to move, in [-1, 1]."""
        g = self._game(game)
        root = int(self._roots[g])
        pool = self.pool
        if pool.node_state[root] == tk.TERMINAL:
            return float(pool.node_value[root])
        if pool.node_n[root] <= 0:
            raise ValueError(f"game {game}'s root is not evaluated yet: call run() first")
        return float(pool.node_w[root] / pool.node_n[root])

    def root_stats(self, game: int, moves: Sequence[int] = ()) -> RootStats:
        """Per-move visits, Q (for the node's player to move), priors and legality at the
        root, or at the node reached by ``moves`` inside the tree."""
        node = self._node_at(self._game(game), moves)
        pool = self.pool
        visits = pool.edge_n[node].copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(visits > 0, pool.edge_w[node] / np.maximum(visits, 1), np.nan)
        n = int(pool.node_n[node])
        if pool.node_state[node] == tk.TERMINAL:
            value = float(pool.node_value[node])
        else:
            value = float(pool.node_w[node] / n) if n > 0 else float("nan")
        return RootStats(visits=visits, q=q.astype(np.float32),
                         priors=pool.prior[node].copy(), legal=pool.child[node] != tk.ILLEGAL,
                         value=value, total_visits=n)

    def principal_variation(self, game: int, move: int | None = None) -> list[int]:
        """The most-visited line from the root (starting with ``move`` when given), as far
        as the tree has visits."""
        g = self._game(game)
        pool = self.pool
        node = int(self._roots[g])
        line: list[int] = []
        if move is not None:
            m = self._move_index(move)
            c = int(pool.child[node, m]) if pool.node_state[node] == tk.EXPANDED else -1
            line.append(m)
            if c < 0:
                return line
            node = c
        while pool.node_state[node] == tk.EXPANDED:
            counts = pool.edge_n[node]
            m = int(np.argmax(counts))
            if counts[m] <= 0:
                break
            line.append(m)
            node = int(pool.child[node, m])
            if node < 0:
                break
        return line

    def choose_move(self, game: int, temperature: float | None = None) -> int:
        """The move to play: sampled in proportion to ``visits ** (1 / temperature)``, or
        the most-visited move (ties: the higher Q, then the higher prior, as the GTP
        analysis lists them) when ``temperature`` is 0. The visits
        are ``target_visits`` (forced playouts pruned).

        A pass is sampled only when it is the most-visited move. Temperature spreads the
        opening over the stones the search liked; a sampled pass spreads nothing and
        usually ends the game at once (the opponent passes back whenever the count wins
        for it, ``mcts.passing.forced_pass``: white by komi on the empty board, black
        after one stone), so self-play was filling its buffer with two- and three-move
        games and teaching the value head that the opening is decided.

        ``None`` means 1 while the game's move number is below
        ``config.temperature_move_count(N)``, then 0.
        """
        g = self._game(game)
        counts = self.target_visits(g).astype(np.float64)
        if counts.sum() <= 0:
            raise ValueError(f"game {game} has no visits at its root: call run() first")
        if temperature is None:
            early = self._position(g).move_number < self.config.temperature_move_count(
                self.board_size)
            temperature = 1.0 if early else 0.0
        if not np.isfinite(temperature) or temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature!r}")
        if temperature == 0:
            best = np.flatnonzero(counts == counts.max())
            if len(best) > 1:  # the order analysis lists moves in: visits, Q, prior
                stats = self.root_stats(g)
                best = best[np.lexsort((-stats.priors[best], -stats.q[best]))]
            return int(np.atleast_1d(best)[0])
        weights = (counts / counts.max()) ** (1.0 / temperature)
        if counts[-1] < counts.max():
            weights[-1] = 0.0  # pass (the last action) only as the search's own choice
        return int(self._rng.choice(self._actions, p=weights / weights.sum()))

    # ------------------------------------------------------------------ resignation
    def resign_value(self, game: int) -> float:
        """``max(root value, most-visited move's Q)`` for the player to move: the search
        resigns when this falls below ``config.resign_threshold``. A game loop keeps each
        player's minimum of it in resign-disabled games to calibrate the threshold."""
        g = self._game(game)
        stats = self.root_stats(g)
        if stats.visits.sum() <= 0:
            raise ValueError(f"game {game} has no visits at its root: call run() first")
        best = int(np.argmax(stats.visits))
        return max(self.root_value(g), float(stats.q[best]))

    def would_resign(self, game: int) -> bool:
        """Whether the resign rule fires now, even in a game where resigning is disabled."""
        threshold = self.config.resign_threshold
        if threshold is None:
            return False
        return self.resign_value(game) < threshold

    def should_resign(self, game: int) -> bool:
        """Resign now: ``would_resign`` and this game is not one of the resign-disabled."""
        g = self._game(game)
        return not self._resign_disabled[g] and self.would_resign(g)

    def resign_disabled(self, game: int) -> bool:
        """True for the games (``config.resign_disabled_fraction`` of them) that never
        resign; their ``would_resign`` decisions measure the false-positive rate."""
        return bool(self._resign_disabled[self._game(game)])

    # ------------------------------------------------------------------ internals
    def _game(self, game: int) -> int:
        if isinstance(game, bool) or not isinstance(game, (int, np.integer)) \
                or not 0 <= game < self.num_games:
            raise ValueError(f"game must be an index in 0..{self.num_games - 1}, got {game!r}")
        return int(game)

    def _position(self, g: int) -> Position:
        position = self._positions[g]
        if position is None:
            raise ValueError(f"game {g} has no root: call set_root first")
        return position

    def _move_index(self, move: int) -> int:
        if isinstance(move, bool) or not isinstance(move, (int, np.integer)) \
                or not 0 <= move < self._actions:
            raise ValueError(f"move must be in 0..{self._actions - 1}, got {move!r}")
        return int(move)

    def _node_at(self, g: int, moves: Sequence[int]) -> int:
        node = int(self._roots[g])
        if node < 0:
            raise ValueError(f"game {g} has no root: call set_root first")
        for depth, move in enumerate(moves):
            m = self._move_index(move)
            c = int(self.pool.child[node, m]) if self.pool.node_state[node] == tk.EXPANDED \
                else -1
            if c < 0:
                raise ValueError(f"move {m} at depth {depth} of {list(moves)} is not in the "
                                 f"tree of game {g}")
            node = c
        return node

    def _make_root(self, position: Position) -> int:
        pool = self.pool
        node = pool.take()
        pool.node_board[node] = position.flat_board
        pool.node_hash[node] = np.uint64(position.zobrist_hash)
        pool.node_to_play[node] = position.to_play
        pool.node_passes[node] = min(position.passes, 2)
        pool.node_move_number[node] = position.move_number
        pool.node_parent[node] = -1
        pool.node_move[node] = -1
        pool.node_n[node] = 0
        pool.node_w[node] = 0.0
        pool.edge_n[node] = 0
        pool.edge_w[node] = 0.0
        pool.prior[node] = 0.0
        if position.is_over():
            pool.node_state[node] = tk.TERMINAL
            pool.node_value[node] = tk.terminal_value(
                position.flat_board, position.to_play, position.komi, self._nbrs)
            pool.child[node] = tk.ILLEGAL
        else:
            pool.node_state[node] = tk.NEW
            pool.node_value[node] = 0.0
            pool.child[node] = np.where(position.legal_moves(), tk.UNEXPANDED, tk.ILLEGAL)
        return node

    def _install_root(self, g: int, position: Position, node: int) -> None:
        """Make ``node`` (for ``position``) the root of game ``g``: history, pass guard,
        noise."""
        self._roots[g] = node
        self._positions[g] = position
        hashes = position.board_hashes
        if len(hashes) > self._hist_hashes.shape[1]:
            wider = np.zeros((self.num_games, 2 * len(hashes)), np.uint64)
            wider[:, : self._hist_hashes.shape[1]] = self._hist_hashes
            self._hist_hashes = wider
            self._game_fields = self._make_game_fields()
        self._hist_hashes[g, : len(hashes)] = hashes
        self._hist_len[g] = len(hashes)
        self._hist_boards[g] = position.recent_boards(self.history_length).reshape(
            self.history_length, self._points)
        if self.config.pass_guard and pass_refused(position):
            self._remove_root_pass(g)
        self._draw_search_kind(g)
        self._needs_noise[g] = False
        if self.config.add_noise and self._full[g] \
                and self.pool.node_state[node] in (tk.NEW, tk.EXPANDED):
            if self.pool.node_state[node] == tk.EXPANDED:
                self._add_noise(g)
            else:
                self._needs_noise[g] = True

    def _draw_search_kind(self, g: int) -> None:
        """Playout cap randomization: draw whether game ``g``'s new root gets a full search
        (nothing is drawn when every search is full), and set its forced playouts."""
        fraction = self.config.full_search_fraction
        self._full[g] = fraction >= 1.0 or self._rng.random() < fraction
        self._forced_k[g] = self.config.forced_playout_k if self._full[g] else 0.0

    def _make_game_fields(self) -> tuple[np.ndarray, ...]:
        """The per-game arrays (the same arrays, not copies) as the kernels take them: a
        ``GameArrays``' fields in a plain tuple."""
        return tuple(GameArrays(
            roots=self._roots, komi=self._komi, max_moves=self._max_moves,
            hist_hashes=self._hist_hashes, hist_len=self._hist_len,
            hist_boards=self._hist_boards, forced_k=self._forced_k))

    def _remove_root_pass(self, g: int) -> None:
        pool = self.pool
        root = int(self._roots[g])
        p = self._points
        c = int(pool.child[root, p])
        if c == tk.ILLEGAL:
            return
        if c >= 0:
            pool.free_subtree(c)
        pool.node_n[root] -= pool.edge_n[root, p]
        pool.node_w[root] -= pool.edge_w[root, p]
        pool.edge_n[root, p] = 0
        pool.edge_w[root, p] = 0.0
        pool.child[root, p] = tk.ILLEGAL
        if pool.node_state[root] == tk.EXPANDED:
            pool.prior[root, p] = 0.0
            total = pool.prior[root].sum()
            legal = pool.child[root] != tk.ILLEGAL
            if total > 0:
                pool.prior[root] /= total
            else:
                pool.prior[root] = legal / legal.sum()

    def _add_noise(self, g: int) -> None:
        """Mix Dirichlet noise into the root's priors, over its legal moves only."""
        pool = self.pool
        root = int(self._roots[g])
        legal = np.flatnonzero(pool.child[root] != tk.ILLEGAL)
        alpha = self.config.noise_alpha(self.board_size)
        eta = self._rng.dirichlet(np.full(len(legal), alpha))
        w = self.config.dirichlet_weight
        pool.prior[root, legal] = (1 - w) * pool.prior[root, legal] + w * eta
        self._needs_noise[g] = False


def pruned_visits(visits: np.ndarray, q: np.ndarray, priors: np.ndarray, parent_visits: int,
                  c_puct_init: float, c_puct_base: float, forced_playout_k: float
                  ) -> np.ndarray:
    """Policy target pruning (KataGo): a root's visit counts without its forced playouts.

    The best move (most visits, ties: the higher Q) keeps its visits. Each other visited
    move loses visits one at a time, at most ``sqrt(k * P * total visits)`` of them (its
    forced playouts), as long as its PUCT score with the lower count stays below the best
    move's PUCT score; a move left with one visit or fewer drops to 0. PUCT as in the
    search: ``Q + c(N) * P * sqrt(N) / (1 + n)``, ``N = parent_visits``.

    Args: ``visits`` int[A]; ``q`` float[A] mean values for the root's player to move
    (ignored where unvisited); ``priors`` float[A] (the root's, noise included);
    ``parent_visits`` the root's own visit count ``N``; the PUCT constants and ``k``.
    Returns int64[A]; ``k <= 0`` returns the visits unchanged.
    """
    out = np.asarray(visits, np.int64).copy()
    total = int(out.sum())
    if forced_playout_k <= 0 or total <= 0:
        return out
    q = np.asarray(q, np.float64)
    priors = np.asarray(priors, np.float64)
    most = np.flatnonzero(out == out.max())
    best = int(most[np.argmax(q[most])]) if len(most) > 1 else int(most[0])
    n_parent = float(parent_visits)
    c = c_puct_init + math.log((1.0 + n_parent + c_puct_base) / c_puct_base)
    explore = c * math.sqrt(n_parent)
    best_score = q[best] + explore * priors[best] / (1.0 + out[best])
    for a in np.flatnonzero(out > 0):
        if a == best:
            continue
        n = int(out[a])
        forced = math.sqrt(forced_playout_k * priors[a] * total)
        removed = 0
        while (removed + 1 <= forced and n - removed > 0
               and q[a] + explore * priors[a] / (n - removed) < best_score):
            removed += 1
        out[a] = n - removed if n - removed > 1 else 0
    return out
