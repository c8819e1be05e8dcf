"""The self-play worker: G games at once over one batched search, no TensorFlow.

A worker is a plain class; ``selfplay.actors`` runs it as a Ray actor whose evaluator is a
``RemoteEvaluator`` (leaves go to an inference server). Each ``play()`` call steps the
games until at least one ends (or a few seconds passed, so the driver sees progress) and
returns the finished games with counters, so a finished game leaves the worker as soon as
possible: if the worker dies, only games in progress are lost. With several evaluators the
games are split into groups searched by parallel threads, so one group's search overlaps
another's wait for the network. Every game carries the worker's ``session`` (a random
number drawn per process) and its ``serial`` within that session, so the driver can check
that none was lost or delivered twice.

Tree reuse and promotions: each move keeps the chosen move's subtree, whose values came
from the network that evaluated them. Before every step a group compares the network
version of its evaluator's last answer (``RemoteEvaluator.version``) with the version its
trees were built with; when a promotion changed it, every tree of the group is dropped
(``BatchedSearch.drop_tree``) and searched afresh, so no reused tree holds values of the
old network. (The one move searched while the version changed mixes both networks.)
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from go import RulesConfig
from mcts import Evaluator, SearchConfig
from selfplay.game_loop import SelfPlayGames
from selfplay.game_record import GameRecord
from selfplay.live_game import LiveGameWriter


@dataclass
class WorkerReport:
    """What one ``play()`` call returns.

    games: the finished games, in the order they ended; moves: moves played during the
    call (all games); evaluations: positions sent to the evaluator during the call;
    seconds: wall time of the call; worker, session: who played them;
    games_in_progress, moves_in_progress: games started and not ended after the call, and
    the moves played in them so far (positions not stored anywhere yet).
    """

    games: list[GameRecord] = field(default_factory=list)
    moves: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    worker: int = -1
    session: int = 0
    games_in_progress: int = 0
    moves_in_progress: int = 0


def start_offsets(games: int, spread: int) -> list[int]:
    """The move at which each of ``games`` games first starts when their starts spread
    over ``spread`` moves: game ``i`` at ``spread * sqrt(i / games)``, so game 0 plays
    alone for a while (a quarter of ``spread`` with 16 games) and the others join ever
    faster. Fewer games at once mean the first ones end sooner; on a CPU, where the
    network's cost per position hardly depends on the batch, the moves played per second
    stay the same."""
    if spread < 0:
        raise ValueError(f"start_spread must be >= 0, got {spread}")
    return [int(spread * math.sqrt(i / games)) for i in range(games)]


class SelfPlayWorker:
    """Plays self-play games with ``evaluator`` (see the module docstring).

    Args:
        evaluator: the network as an ``mcts.Evaluator`` (a ``RemoteEvaluator`` in a run),
            or a list of k evaluators: the games are then split into k groups, each
            searched by its own thread with its own evaluator, so that while one group
            waits for the network the others search (pipelining inside one worker).
        rules, search: the games' rules and the self-play search.
        games: G, games played at once (over all groups).
        seed: run seed; the worker's generator mixes in ``worker`` and the process id, so
            a restarted worker does not replay the games of its previous life.
        worker: this worker's index in the run.
        live_path: a file where the first game in progress is shown, rewritten every move
            (``selfplay.live_game``); ``None``: not shown.
        start_spread: the first games start one by one over this many moves
            (``start_offsets``), so that the first ones end early and later ones do not
            all end together; 0: all start at once.
    """

    def __init__(self, evaluator: Evaluator | list[Evaluator], rules: RulesConfig,
                 search: SearchConfig, games: int, seed: int = 0, worker: int = 0,
                 live_path: str | None = None, start_spread: int = 0) -> None:
        evaluators = list(evaluator) if isinstance(evaluator, list | tuple) else [evaluator]
        if not 1 <= len(evaluators) <= games:
            raise ValueError(f"need between 1 and games={games} evaluators, got "
                             f"{len(evaluators)}")
        self.worker = worker
        entropy = np.random.SeedSequence([seed, worker, os.getpid(), time.time_ns()])
        state = entropy.generate_state(1 + len(evaluators), np.uint64) >> np.uint64(1)
        self.session = int(state[0])
        sizes = [len(part) for part in np.array_split(np.arange(games), len(evaluators))]
        self._evaluators = evaluators
        k = len(evaluators)  # game i plays in group i % k: starts interleave over groups
        offsets = start_offsets(games, start_spread)
        self._groups = [SelfPlayGames(e, rules, search, size, seed=int(s), worker=worker,
                                      start_at=offsets[j::k])
                        for j, (e, size, s) in enumerate(zip(evaluators, sizes, state[1:],
                                                             strict=True))]
        self._pool = (ThreadPoolExecutor(len(self._groups), thread_name_prefix="games")
                      if len(self._groups) > 1 else None)
        self._tree_versions: list[int | None] = [None] * len(self._groups)
        self._dropped = [0] * len(self._groups)
        self._serial = 0
        if live_path is not None:
            self._groups[0].on_step = LiveGameWriter(live_path, rules.size, rules.komi, worker)

    def set_resign_threshold(self, threshold: float | None) -> None:
        """Resign below ``threshold`` (``None``: never) in every move searched from now on,
        in the games in progress too (the driver's calibrated threshold)."""
        for group in self._groups:
            group.set_resign_threshold(threshold)

    def resign_threshold(self) -> float | None:
        """The threshold the games use now."""
        return self._groups[0].search.config.resign_threshold

    def play(self, min_games: int = 1, max_steps: int | None = None,
             max_seconds: float | None = None,
             resign_threshold: float | None = None) -> WorkerReport:
        """Play until at least ``min_games`` games ended, or ``max_steps`` moves per game
        were played, or about ``max_seconds`` passed; return the finished games (possibly
        none) and the counters (see ``WorkerReport``). A ``resign_threshold`` is applied
        first (``set_resign_threshold``; ``None`` keeps the current one), so a worker that
        Ray restarted with its first arguments gets the run's threshold on its next call."""
        if resign_threshold is not None:
            self.set_resign_threshold(resign_threshold)
        start = time.perf_counter()
        moves0 = sum(g.moves_played for g in self._groups)
        evals0 = sum(g.search.evaluations for g in self._groups)
        for group, evaluator in zip(self._groups, self._evaluators, strict=True):
            version = getattr(evaluator, "version", None)
            if version is not None:
                group.best_version = int(version)
        if self._pool is None:
            games = self._play_one(min_games, max_steps, max_seconds)
        else:
            games = self._play_groups(min_games, max_steps, max_seconds)
        for record in games:
            record.session = self.session
            record.serial = self._serial
            self._serial += 1
        return WorkerReport(
            games=games, moves=sum(g.moves_played for g in self._groups) - moves0,
            evaluations=sum(g.search.evaluations for g in self._groups) - evals0,
            seconds=time.perf_counter() - start, worker=self.worker, session=self.session,
            games_in_progress=sum(g.games_in_progress for g in self._groups),
            moves_in_progress=sum(g.moves_in_progress for g in self._groups))

    @property
    def trees_dropped(self) -> int:
        """Trees dropped so far because the network changed under them (promotions)."""
        return sum(self._dropped)

    def _step(self, i: int) -> list[GameRecord]:
        """One step of group ``i``, its trees dropped first when the network version of
        its evaluator's last answer differs from the one they were built with."""
        group = self._groups[i]
        version = getattr(self._evaluators[i], "version", None)
        built = self._tree_versions[i]
        if version is not None and built is not None and version != built:
            for g in range(group.num_games):
                group.search.drop_tree(g)
            self._dropped[i] += group.num_games
        self._tree_versions[i] = version if version is not None else built
        return group.step()

    def _play_one(self, min_games: int, max_steps: int | None,
                  max_seconds: float | None) -> list[GameRecord]:
        """``SelfPlayGames.play`` of the only group, through ``_step``."""
        return self._groups[0].play(min_games, max_steps, max_seconds,
                                    step=lambda: self._step(0))

    def _play_groups(self, min_games: int, max_steps: int | None,
                     max_seconds: float | None) -> list[GameRecord]:
        done = threading.Event()
        lock = threading.Lock()
        finished: list[GameRecord] = []
        deadline = None if max_seconds is None else time.monotonic() + max_seconds

        def drive(i: int) -> None:
            steps = 0
            while not done.is_set() and (max_steps is None or steps < max_steps):
                games = self._step(i)
                steps += 1
                with lock:
                    finished.extend(games)
                    if len(finished) >= min_games or (
                            deadline is not None and time.monotonic() >= deadline):
                        done.set()

        futures = [self._pool.submit(drive, i) for i in range(len(self._groups))]
        for future in futures:
            future.result()
        return finished

    def pid(self) -> int:
        """The process id (tests kill workers with it)."""
        return os.getpid()

    def imported(self, names: list[str]) -> dict[str, bool]:
        """Which of the module ``names`` this process has imported (tests check that a
        worker holds no TensorFlow)."""
        return {name: name in sys.modules for name in names}
