"""The self-play game loop over ``mcts.BatchedSearch``.

``SelfPlayGames`` keeps G games going at once in one search: every ``step()`` runs the
search on all of them (one evaluator call per simulation step, all leaves together), plays
one move in each, and returns the games that just ended (as ``GameRecord``s), starting new
ones in their place (the first games may start one by one, ``start_at``, so that they do
not all end together). Games end by two passes, the move limit, or resignation; the share of
games where resignation is disabled (``SearchConfig.resign_disabled_fraction``) records who
would have resigned, so the false-positive rate of the threshold can be measured.

Gate matches (candidate against best) are played by ``arena.match_loop.play_match``
(``selfplay.gatekeeper``). Values everywhere are from the point of view of the player to
move.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np

from go import Position, RulesConfig
from mcts import BatchedSearch, Evaluator, SearchConfig
from selfplay.game_record import GameRecord, quantise_policy


class SelfPlayGames:
    """G concurrent self-play games (see the module docstring).

    Args:
        evaluator: the network (or any ``mcts.Evaluator``) for both colours.
        rules: board size, komi and move limit of every game.
        search: the self-play search (noise, temperature, resignation).
        num_games: G, games in progress at once.
        seed: seeds the search (noise, move sampling, resign-disabled draws).
        worker: stamped on every record.
        start_at: for each game, the step (moves played by the loop) at which it first
            starts; ``None``: all at once. Games waiting to start cost nothing.

    Attributes: ``best_version`` (stamped on games started after it is set),
    ``moves_played`` (moves played so far, all games), ``policy_targets`` (how many of
    them had a full search, recorded as policy targets: all of them unless
    ``SearchConfig.full_search_fraction`` < 1), ``search`` (the ``BatchedSearch``),
    ``on_step`` (``None``, or called after every step with game 0's moves so far).
    """

    def __init__(self, evaluator: Evaluator, rules: RulesConfig, search: SearchConfig,
                 num_games: int, seed: int | None = None, worker: int = -1,
                 start_at: list[int] | None = None) -> None:
        if evaluator.board_size != rules.size:
            raise ValueError(f"evaluator is for {evaluator.board_size}x{evaluator.board_size}, "
                             f"the rules say {rules.size}x{rules.size}")
        self.rules = rules
        self.search = BatchedSearch(evaluator, search, num_games, seed=seed)
        self.num_games = num_games
        self.worker = worker
        self.best_version = 0
        self.moves_played = 0
        self.policy_targets = 0
        self._recorded: list[list[bool]] = [[] for _ in range(num_games)]
        self.on_step: Callable[[list[int]], None] | None = None
        self._moves: list[list[int]] = [[] for _ in range(num_games)]
        self._policies: list[list[tuple[np.ndarray, np.ndarray]]] = [
            [] for _ in range(num_games)]
        self._would: list[tuple[int, int]] = [(0, -1)] * num_games
        self._min_value: list[list[float]] = [[math.nan, math.nan] for _ in range(num_games)]
        self._version = [0] * num_games
        self.steps = 0
        start_at = [0] * num_games if start_at is None else [int(s) for s in start_at]
        if len(start_at) != num_games or min(start_at, default=0) < 0:
            raise ValueError(f"start_at needs {num_games} steps >= 0, got {start_at}")
        self._start_at = {g: at for g, at in enumerate(start_at) if at > 0}
        for g in range(num_games):
            if g not in self._start_at:
                self._start(g)

    @property
    def games_in_progress(self) -> int:
        """Games started and not yet ended."""
        return self.num_games - len(self._start_at)

    @property
    def moves_in_progress(self) -> int:
        """Moves played so far in the games in progress (not yet stored anywhere)."""
        return sum(len(moves) for moves in self._moves)

    def _start_due(self) -> list[int] | None:
        """Start the waiting games whose step has come; the games to search (``None``:
        all)."""
        if not self._start_at:
            return None
        for g, at in list(self._start_at.items()):
            if at <= self.steps:
                del self._start_at[g]
                self._start(g)
        return [g for g in range(self.num_games) if g not in self._start_at]

    def _start(self, g: int) -> None:
        self.search.set_root(g, Position.from_rules(self.rules))
        self._moves[g] = []
        self._policies[g] = []
        self._recorded[g] = []
        self._would[g] = (0, -1)
        self._min_value[g] = [math.nan, math.nan]  # black's, white's
        self._version[g] = self.best_version

    def step(self) -> list[GameRecord]:
        """Search every game, play one move in each; returns the games that ended."""
        search = self.search
        searched = self._start_due()
        search.run(games=searched)
        self.steps += 1
        finished = []
        for g in range(self.num_games) if searched is None else searched:
            position = search.position(g)
            disabled = search.resign_disabled(g)
            if disabled:
                self._track_min_value(g, position.to_play)
            if disabled and self._would[g][0] == 0 and search.would_resign(g):
                self._would[g] = (position.to_play, position.move_number)
            if not disabled and search.should_resign(g) and self._moves[g]:
                finished.append(self._finish(g, position, resigned=position.to_play))
                continue
            self._policies[g].append(quantise_policy(search.policy_target(g)))
            self._recorded[g].append(search.full_search(g))
            self.policy_targets += self._recorded[g][-1]
            move = search.choose_move(g)
            self._moves[g].append(move)
            search.advance(g, move)
            self.moves_played += 1
            after = search.position(g)
            if after.is_over():
                finished.append(self._finish(g, after, resigned=0))
        if self.on_step is not None:
            self.on_step(self._moves[0])
        return finished

    def set_resign_threshold(self, threshold: float | None) -> None:
        """Resign from now on when the resign value falls below ``threshold`` (``None``:
        never); moves searched after this call use it, in games in progress too."""
        self.search.config = dataclasses.replace(self.search.config,
                                                 resign_threshold=threshold)

    def _track_min_value(self, g: int, to_play: int) -> None:
        """Keep the player to move's lowest resign value (its point of view)."""
        value = self.search.resign_value(g)
        mins = self._min_value[g]
        i = 0 if to_play > 0 else 1
        if math.isnan(mins[i]) or value < mins[i]:
            mins[i] = value

    def play(self, min_games: int = 1, max_steps: int | None = None,
             max_seconds: float | None = None,
             step: Callable[[], list[GameRecord]] | None = None) -> list[GameRecord]:
        """Step until at least ``min_games`` games ended, or ``max_steps`` steps were
        taken, or ``max_seconds`` passed (checked after each step). ``step``: what one
        step is (default ``self.step``; a worker wraps it)."""
        step = self.step if step is None else step
        done: list[GameRecord] = []
        steps = 0
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        while len(done) < min_games and (max_steps is None or steps < max_steps):
            done.extend(step())
            steps += 1
            if deadline is not None and time.monotonic() >= deadline:
                break
        return done

    def _finish(self, g: int, position: Position, resigned: int) -> GameRecord:
        if resigned:
            winner, score = -resigned, math.nan
        else:
            score = position.score()
            winner = int(np.sign(score))
        would, would_move = self._would[g]
        record = GameRecord.from_policies(
            self.rules.size, self.rules.komi, self._moves[g], self._policies[g], winner,
            score=score, resigned=resigned, no_resign=self.search.resign_disabled(g),
            would_resign=would, would_resign_move=would_move, worker=self.worker,
            best_version=self._version[g], min_value_black=self._min_value[g][0],
            min_value_white=self._min_value[g][1],
            policy_recorded=np.array(self._recorded[g], np.bool_),
            ownership=(np.zeros(0, np.int8) if resigned
                       else position.ownership().ravel().astype(np.int8)))
        self._start(g)
        return record
