"""The engine's thinking: one ``mcts.BatchedSearch`` tree over a network, kept in step with
the game, searched within a playout and time budget, and the move decision.

``EngineSearch`` follows ONE game (the GTP engine's board, undo and setup included) and
searches in chunks so that the clock and stdin are looked at between them. The arena's
``arena.players.BatchedSearchPlayer`` plays many games at once with the same settings
(``PlayerConfig.search_config``) and the same pass rule (``mcts.forced_pass``,
``mcts.pass_refused``; with one playout the search sees no reply, so the engine then
refuses pass whenever the count loses, as the arena's policy player does).

Values are from the point of view of the player to move (``mcts``' convention); a
winrate is ``(value + 1) / 2`` for the side to move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from go import Position
from mcts import RESIGN, BatchedSearch, Evaluator, SearchConfig, forced_pass, pass_refused

__all__ = ["RESIGN", "EngineSearch", "PlayerConfig"]


@dataclass(frozen=True)
class PlayerConfig:
    """How the engine searches and decides.

    Attributes:
        playouts: simulations per move; ``None``: as many as the time allows (then
            ``max_playouts`` caps it). With neither playouts nor a time limit,
            ``default_playouts`` apply.
        seconds_per_move: time per move when the controller sets no clock.
        leaves_per_tree: leaves evaluated together per search step (virtual loss).
        resign_threshold: resign when the search's value (root and best move) for the
            player to move is below this; ``None`` never resigns.
        resign_after_move: no resignation before this move number.
        max_playouts: the most simulations one search (and one analysis) adds.
        chunk: simulations between two looks at the clock and at stdin.
        search: the remaining search settings (noise is always off in the engine).
    """

    playouts: int | None = None
    seconds_per_move: float | None = None
    leaves_per_tree: int = 8
    resign_threshold: float | None = -0.9
    resign_after_move: int = 10
    max_playouts: int = 20000
    default_playouts: int = 200
    chunk: int = 16
    c_puct_init: float = 1.25
    fpu_reduction: float = 0.25

    def __post_init__(self) -> None:
        if self.playouts is not None and self.playouts < 1:
            raise ValueError(f"playouts must be >= 1 or None, got {self.playouts}")
        if self.seconds_per_move is not None and not self.seconds_per_move > 0:
            raise ValueError(f"seconds_per_move must be > 0, got {self.seconds_per_move}")
        if self.leaves_per_tree < 1 or self.chunk < 1 or self.max_playouts < 1:
            raise ValueError(
                f"leaves_per_tree, chunk and max_playouts must be >= 1, got "
                f"{self.leaves_per_tree}, {self.chunk}, {self.max_playouts}")
        if self.resign_threshold is not None and not -1 <= self.resign_threshold <= 1:
            raise ValueError(f"resign_threshold must be in [-1, 1], got {self.resign_threshold}")

    def search_config(self) -> SearchConfig:
        """The ``SearchConfig`` of the engine's search (no noise, never resign-disabled)."""
        return SearchConfig(
            num_simulations=self.chunk, add_noise=False, leaves_per_tree=self.leaves_per_tree,
            c_puct_init=self.c_puct_init, fpu_reduction=self.fpu_reduction,
            resign_threshold=self.resign_threshold, resign_disabled_fraction=0.0,
            temperature_moves=0)


class EngineSearch:
    """The engine's one search tree, re-rooted to follow the game (``sync``), searched by
    ``think``."""

    def __init__(self, evaluator: Evaluator, config: PlayerConfig,
                 seed: int | None = None) -> None:
        self.evaluator = evaluator
        self.config = config
        self.board_size = int(evaluator.board_size)
        self.search = BatchedSearch(evaluator, config.search_config(), num_games=1, seed=seed)
        self._root: Position | None = None

    # ------------------------------------------------------------------ the tree
    def sync(self, position: Position) -> None:
        """Make ``position`` the tree's root, keeping the subtree when ``position`` follows
        the current root by a move or two."""
        if position is self._root:
            return
        path: list[int] = []
        node: Position | None = position
        while node is not None and node is not self._root and len(path) < 3:
            path.append(node.last_move if node.last_move is not None else -1)
            node = node.parent
        if self._root is not None and node is self._root and path and -1 not in path:
            for move in reversed(path):
                self.search.advance(0, move)
        else:
            self.search.set_root(0, position)
        self._root = position

    def reset(self) -> None:
        """Forget the tree (the next ``sync`` starts a fresh one)."""
        self._root = None

    @property
    def root_visits(self) -> int:
        """Visits of the root so far (its own evaluation included)."""
        return self.search.root_stats(0).total_visits

    # ------------------------------------------------------------------ thinking
    def think(
        self,
        position: Position,
        seconds: float | None,
        playouts: int | None,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[int]:
        """Search ``position``, yielding the simulations added so far after each chunk.

        Stops after ``playouts`` new simulations (``None``: ``config.max_playouts``),
        after ``seconds`` (``None``: no time limit), when ``stop()`` is true, or when the
        root is a finished game. At least one chunk is searched.
        """
        self.sync(position)
        limit = self.config.max_playouts if playouts is None else min(
            playouts, self.config.max_playouts)
        deadline = None if seconds is None else time.monotonic() + seconds
        done = 0
        if position.is_over():
            return
        while done < limit:
            step = min(self.config.chunk, limit - done)
            self.search.run(simulations=step)
            done += step
            yield done
            if stop() or (deadline is not None and time.monotonic() >= deadline):
                break

    def budget(self, clock_seconds: float | None) -> tuple[float | None, int | None]:
        """(seconds, playouts) for one move: the clock's or ``seconds_per_move``, and the
        playout cap (the default when neither playouts nor any time limit is set)."""
        seconds = clock_seconds if clock_seconds is not None else self.config.seconds_per_move
        playouts = self.config.playouts
        if playouts is None and seconds is None:
            playouts = self.config.default_playouts
        return seconds, playouts

    # ------------------------------------------------------------------ deciding
    def choose(self, position: Position) -> int:
        """The move to play at the searched ``position`` (flat index, pass = N*N), or
        ``RESIGN``.

        Resigns when the search's value for the player to move (root and most-visited
        move) is below the threshold, from ``resign_after_move`` on; passes when pass is
        the only legal move, or when the opponent just passed and the area score already
        wins (passing ends the game); otherwise plays the most-visited move (the search's
        pass guard keeps it from passing where that loses at once). With one playout per
        move the search sees no reply: pass then gives way to the highest-prior point while
        the count loses (``pass_refused(position, sees_reply=False)``).
        """
        pass_move = position.pass_move
        if position.is_over():
            return pass_move
        self.sync(position)
        if self.search.root_stats(0).visits.sum() == 0:  # not searched yet: a little
            self.search.run(simulations=self.config.chunk)
        if (position.move_number >= self.config.resign_after_move
                and self.search.should_resign(0)):
            return RESIGN
        if forced_pass(position):
            return pass_move
        move = self.search.choose_move(0, temperature=0.0)
        if (move == pass_move and self.config.playouts == 1
                and pass_refused(position, sees_reply=False)):
            stats = self.search.root_stats(0)
            points = np.where(stats.legal[:pass_move], stats.priors[:pass_move], -1.0)
            move = int(np.argmax(points))
        return move
