"""Game loops over ``mcts.BatchedSearch``: self-play, and gate matches between two networks.

``SelfPlayGames`` keeps G games going at once in one search: every ``step()`` runs the
search on all of them (one evaluator call per simulation step, all leaves together), plays
one move in each, and returns the games that just ended (as ``GameRecord``s), starting new
ones in their place. Games end by two passes, the move limit, or resignation; the share of
games where resignation is disabled (``SearchConfig.resign_disabled_fraction``) records who
would have resigned, so the false-positive rate of the threshold can be measured.

``play_match`` plays a candidate against the best with two searches, each side's leaves
batched to its own evaluator, colours alternating by game, until a decision function says
stop. Values everywhere are from the point of view of the player to move.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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

    Attributes: ``best_version`` (stamped on games started after it is set),
    ``moves_played`` (moves played so far, all games), ``search`` (the ``BatchedSearch``).
    """

    def __init__(self, evaluator: Evaluator, rules: RulesConfig, search: SearchConfig,
                 num_games: int, seed: int | None = None, worker: int = -1) -> None:
        if evaluator.board_size != rules.size:
            raise ValueError(f"evaluator is for {evaluator.board_size}x{evaluator.board_size}, "
                             f"the rules say {rules.size}x{rules.size}")
        self.rules = rules
        self.search = BatchedSearch(evaluator, search, num_games, seed=seed)
        self.num_games = num_games
        self.worker = worker
        self.best_version = 0
        self.moves_played = 0
        self._moves: list[list[int]] = [[] for _ in range(num_games)]
        self._policies: list[list[tuple[np.ndarray, np.ndarray]]] = [
            [] for _ in range(num_games)]
        self._would: list[tuple[int, int]] = [(0, -1)] * num_games
        self._version = [0] * num_games
        for g in range(num_games):
            self._start(g)

    def _start(self, g: int) -> None:
        self.search.set_root(g, Position.from_rules(self.rules))
        self._moves[g] = []
        self._policies[g] = []
        self._would[g] = (0, -1)
        self._version[g] = self.best_version

    def step(self) -> list[GameRecord]:
        """Search every game, play one move in each; returns the games that ended."""
        search = self.search
        search.run()
        finished = []
        for g in range(self.num_games):
            position = search.position(g)
            disabled = search.resign_disabled(g)
            if disabled and self._would[g][0] == 0 and search.would_resign(g):
                self._would[g] = (position.to_play, position.move_number)
            if not disabled and search.should_resign(g) and self._moves[g]:
                finished.append(self._finish(g, position, resigned=position.to_play))
                continue
            self._policies[g].append(quantise_policy(search.policy_target(g)))
            move = search.choose_move(g)
            self._moves[g].append(move)
            search.advance(g, move)
            self.moves_played += 1
            after = search.position(g)
            if after.is_over():
                finished.append(self._finish(g, after, resigned=0))
        return finished

    def play(self, min_games: int = 1, max_steps: int | None = None,
             max_seconds: float | None = None) -> list[GameRecord]:
        """Step until at least ``min_games`` games ended, or ``max_steps`` steps were
        taken, or ``max_seconds`` passed (checked after each step)."""
        done: list[GameRecord] = []
        steps = 0
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        while len(done) < min_games and (max_steps is None or steps < max_steps):
            done.extend(self.step())
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
            best_version=self._version[g])
        self._start(g)
        return record


@dataclass
class MatchResult:
    """A finished (or stopped) match from the candidate's side.

    ``games`` lists per game ``(candidate_colour, winner)``, colours +1 black / -1 white,
    winner 0 for a draw; ``stopped_early`` is True when the decision function ended the
    match before every planned game was played.
    """

    games: list[tuple[int, int]] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def wins(self) -> int:
        return sum(1 for c, w in self.games if w == c)

    @property
    def losses(self) -> int:
        return sum(1 for c, w in self.games if w == -c)

    @property
    def draws(self) -> int:
        return sum(1 for _, w in self.games if w == 0)

    @property
    def score(self) -> float:
        """Candidate's wins plus half its draws."""
        return self.wins + 0.5 * self.draws

    @property
    def played(self) -> int:
        return len(self.games)


def play_match(candidate: Evaluator, best: Evaluator, rules: RulesConfig,
               search: SearchConfig, games: int, parallel: int = 64,
               stop: Callable[[MatchResult], bool] | None = None,
               seed: int | None = None) -> MatchResult:
    """Play up to ``games`` games of ``candidate`` against ``best``.

    Game ``i`` gives the candidate black when ``i`` is even, white when odd. At most
    ``parallel`` games run at once; every step searches the candidate's games (one
    ``candidate.evaluate`` call per simulation step) then the best's. After each finished
    game ``stop(result)`` may end the match; games still in progress are then abandoned,
    so the result holds only complete games.
    """
    if games < 1 or parallel < 1:
        raise ValueError(f"a match needs games >= 1 and parallel >= 1, got {games}, {parallel}")
    slots = min(parallel, games)
    rng = np.random.default_rng(seed)
    seeds = rng.integers(2**63, size=2)
    sides = {1: BatchedSearch(candidate, search, slots, seed=int(seeds[0])),
             -1: BatchedSearch(best, search, slots, seed=int(seeds[1]))}
    result = MatchResult()
    colour = np.zeros(slots, np.int8)  # candidate's colour per slot, 0 = slot idle
    started = 0

    def start(slot: int) -> None:
        nonlocal started
        colour[slot] = 1 if started % 2 == 0 else -1
        started += 1
        root = Position.from_rules(rules)
        for s in sides.values():
            s.set_root(slot, root)

    for slot in range(slots):
        start(slot)
    while (colour != 0).any():
        for side, s in sides.items():  # side +1: the candidate moves; -1: the best moves
            to_move = [slot for slot in np.flatnonzero(colour)
                       if s.position(slot).to_play == colour[slot] * side]
            if not to_move:
                continue
            s.run(games=to_move)
            for slot in to_move:
                position = s.position(slot)
                winner = None
                if s.should_resign(slot):
                    winner = -position.to_play
                else:
                    move = s.choose_move(slot)
                    for both in sides.values():
                        both.advance(slot, move)
                    after = s.position(slot)
                    if after.is_over():
                        winner = after.winner()
                if winner is None:
                    continue
                result.games.append((int(colour[slot]), int(winner)))
                colour[slot] = 0
                if stop is not None and stop(result):
                    result.stopped_early = result.played < games
                    return result
                if started < games:
                    start(slot)
    return result
