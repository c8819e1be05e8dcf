"""The self-play worker: G games at once over one batched search, no TensorFlow.

A worker is a plain class; ``selfplay.actors`` runs it as a Ray actor whose evaluator is a
``RemoteEvaluator`` (leaves go to an inference server). Each ``play()`` call steps the
games until at least one ends and returns the finished games with counters, so a finished
game leaves the worker as soon as possible: if the worker dies, only games in progress are
lost. Every game carries the worker's ``session`` (a random number drawn per process) and
its ``serial`` within that session, so the driver can check that none was lost or
delivered twice.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from go import RulesConfig
from mcts import Evaluator, SearchConfig
from selfplay.game_loop import SelfPlayGames
from selfplay.game_record import GameRecord


@dataclass
class WorkerReport:
    """What one ``play()`` call returns.

    games: the finished games, in the order they ended; moves: moves played during the
    call (all games); evaluations: positions sent to the evaluator during the call;
    seconds: wall time of the call; worker, session: who played them.
    """

    games: list[GameRecord] = field(default_factory=list)
    moves: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    worker: int = -1
    session: int = 0


class SelfPlayWorker:
    """Plays self-play games with ``evaluator`` (see the module docstring).

    Args:
        evaluator: the network as an ``mcts.Evaluator`` (a ``RemoteEvaluator`` in a run).
        rules, search: the games' rules and the self-play search.
        games: G, games played at once.
        seed: run seed; the worker's generator mixes in ``worker`` and the process id, so
            a restarted worker does not replay the games of its previous life.
        worker: this worker's index in the run.
    """

    def __init__(self, evaluator: Evaluator, rules: RulesConfig, search: SearchConfig,
                 games: int, seed: int = 0, worker: int = 0) -> None:
        self.worker = worker
        entropy = np.random.SeedSequence([seed, worker, os.getpid(), time.time_ns()])
        self.session = int(entropy.generate_state(1, np.uint64)[0] >> np.uint64(1))
        self._evaluator = evaluator
        self._games = SelfPlayGames(evaluator, rules, search, games,
                                    seed=int(entropy.generate_state(1, np.uint64)[0] >> 1),
                                    worker=worker)
        self._serial = 0

    def play(self, min_games: int = 1) -> WorkerReport:
        """Play until at least ``min_games`` games ended; return them (see ``WorkerReport``)."""
        start = time.perf_counter()
        moves0 = self._games.moves_played
        evals0 = self._games.search.evaluations
        version = getattr(self._evaluator, "version", None)
        if version is not None:
            self._games.best_version = int(version)
        games = self._games.play(min_games=min_games)
        for record in games:
            record.session = self.session
            record.serial = self._serial
            self._serial += 1
        return WorkerReport(
            games=games, moves=self._games.moves_played - moves0,
            evaluations=self._games.search.evaluations - evals0,
            seconds=time.perf_counter() - start, worker=self.worker, session=self.session)

    def pid(self) -> int:
        """The process id (tests kill workers with it)."""
        return os.getpid()

    def imported(self, names: list[str]) -> dict[str, bool]:
        """Which of the module ``names`` this process has imported (tests check that a
        worker holds no TensorFlow)."""
        return {name: name in sys.modules for name in names}
