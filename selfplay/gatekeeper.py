"""The gatekeeper: plays a candidate network against the best and decides on promotion.

Two networks live in this process; ``play_gate_match`` plays them through the arena's one
match loop (``arena.match_loop.play_match``), each side an
``arena.players.BatchedSearchPlayer`` searching all its games at once (its leaves batched to
its own network), without noise. Games are played in colour pairs (game ``2k`` gives the
candidate black, ``2k + 1`` white) and counted in start order: a game's result counts only
once every game started before it has finished, so the quick games (resignations) of the
many running at once do not decide the match ahead of the long ones. The match stops when
``arena.sprt.gate_decision`` decides (early by the sequential test at whole pairs, or after
``games`` games against the threshold). Both games of a pair start from the same opening,
``opening_moves`` moves sampled from the best network's policy at temperature 1
(``arena.openings``), different for every pair, so that deterministic players do not
replay one game over and over. The report holds the result and the Elo
difference (candidate minus best) with its 95% interval (``arena.stats.match_elo``) and
the network evaluations the gate cost (both sides, openings included).

In a run the gatekeeper holds no network: its searches send their leaves to an inference
server (``server``), the candidate's to the network the server holds for the gate
(``InferenceServer.load_network``), the best's to the best network the server serves
(answers from another best version are refused). The leaves are thus evaluated where
self-play's are, on a GPU when the cluster has one, batched per side; the gatekeeper's
own process runs the searches only. Without a ``server`` (tests, a single process) it
builds the two networks itself.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from arena.match_loop import MatchResult, play_match
from arena.openings import sample_openings
from arena.players import BatchedSearchPlayer
from arena.sprt import Decision, Sprt, gate_decision
from arena.stats import match_elo
from go import RulesConfig
from mcts import Evaluator, SearchConfig
from network.config import NetworkConfig

DEFAULT_OPENING_MOVES = 4
CANDIDATE_KEY = "gate-candidate"  # the candidate's key on the inference server
AS_SEARCH = "search"  # ``resign_threshold`` default: the gate search's own threshold


class CountingEvaluator:
    """An ``mcts.Evaluator`` that counts the positions it passes to ``inner``
    (``positions``), so that a gate knows its cost in network evaluations."""

    def __init__(self, inner: Evaluator) -> None:
        self.inner = inner
        self.board_size = inner.board_size
        self.history_length = inner.history_length
        self.positions = 0

    def evaluate(self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """See ``mcts.evaluator.Evaluator`` (values for the player to move)."""
        self.positions += len(boards)
        return self.inner.evaluate(boards, to_play, legal)


def play_gate_match(candidate: Evaluator, best: Evaluator, rules: RulesConfig,
                    search: SearchConfig, games: int, parallel: int = 64,
                    stop: Callable[[MatchResult], bool] | None = None,
                    seed: int | None = None,
                    opening_moves: int = DEFAULT_OPENING_MOVES) -> MatchResult:
    """Play up to ``games`` games of ``candidate`` (player ``a``) against ``best``.

    Games ``2k`` and ``2k + 1`` are a colour pair: both start from the pair's opening
    (``opening_moves`` moves drawn from ``best``'s policy, ``arena.openings``), the
    candidate has black in game ``2k`` and white in ``2k + 1``. At most
    ``parallel`` games run at once; per turn each side searches all the games where it is
    to move (one ``evaluate`` call per simulation step), ``search.num_simulations`` new
    simulations per move, moves chosen by ``search``'s temperature schedule, resignation
    by its threshold. Results are counted in start order; after each counted game
    ``stop(result)`` may end the match.
    """
    seeds = np.random.default_rng(seed).integers(2**63, size=3)
    openings = sample_openings(best, rules, (games + 1) // 2, opening_moves, int(seeds[2]))
    players = [BatchedSearchPlayer(evaluator, name, search, seed=int(s))
               for evaluator, name, s in ((candidate, "candidate", seeds[0]),
                                          (best, "best", seeds[1]))]
    return play_match(players[0], players[1], rules, games, parallel=parallel, stop=stop,
                      opening=lambda i: openings[i // 2])


def gate_report(result: MatchResult, planned: int, threshold: float,
                sprt: Sprt | None) -> dict[str, Any]:
    """The JSON-able summary of a gate match (see ``Gatekeeper.play``).

    games: the games counted, in start order (``counting``: ``"start order"``); pairs: the
    complete colour pairs among them; uncounted: games that had finished when the match
    stopped but waited for an earlier game (left out). summary: one line saying so.
    """
    decision = gate_decision(result.score, result.played, planned, threshold, sprt)
    if decision is Decision.CONTINUE:  # stopped for another reason: judge what was played
        decision = gate_decision(result.score, result.played, result.played, threshold, None)
    elo = match_elo(result.score, result.played)
    pairs = result.played // 2
    summary = (f"{result.wins}-{result.losses}-{result.draws} in {result.played} of "
               f"{planned} games ({pairs} colour pairs), counted in start order")
    if result.uncounted:
        summary += f", {result.uncounted} finished games left uncounted"
    return {
        "games": result.played, "pairs": pairs, "counting": "start order",
        "uncounted": result.uncounted, "summary": summary,
        "planned": planned, "wins": result.wins,
        "losses": result.losses, "draws": result.draws, "score": result.score,
        "win_rate": result.score / result.played, "threshold": threshold,
        "decision": decision.value, "promoted": decision is Decision.PROMOTE,
        "stopped_early": result.stopped_early, "sprt": sprt is not None,
        "elo": elo.elo, "elo_low": elo.low, "elo_high": elo.high,
    }


class Gatekeeper:
    """Plays gate matches between networks of ``network_config``'s shape.

    Args:
        network_config, rules: the networks' shape and the games' rules.
        search: the gate search (``RunConfig.gate_search()``: no noise).
        gpus, threads: as for the learner (only without ``server``).
        seed: seeds the networks' random symmetries and the matches.
        opening_moves: moves of each colour pair's opening, drawn from the best network's
            policy (``PipelineConfig.gate_opening_moves``).
        server: an inference server (a Ray actor handle, or its name) that evaluates both
            sides' leaves (see the module docstring); ``None``: two networks of its own.
    """

    def __init__(self, network_config: NetworkConfig, rules: RulesConfig,
                 search: SearchConfig, gpus: float = 0.0, threads: int | None = None,
                 seed: int | None = None,
                 opening_moves: int = DEFAULT_OPENING_MOVES, server: Any = None) -> None:
        self.config = network_config
        self.rules = rules
        self.search = search
        if isinstance(opening_moves, bool) or not isinstance(opening_moves, int) \
                or opening_moves < 0:
            raise ValueError(f"opening_moves must be an integer >= 0, got {opening_moves!r}")
        self.opening_moves = opening_moves
        self.server = server
        self._rng = np.random.default_rng(seed)
        self._count = {"planned": 0, "played": 0, "wins": 0, "losses": 0, "draws": 0}
        self._evaluators: dict[str, Any] = {}
        if server is None:
            self._evaluators = _local_networks(network_config, self._rng, gpus, threads)

    def play(self, candidate_weights: list[np.ndarray], best_weights: list[np.ndarray] | None,
             games: int, threshold: float, sprt: Sprt | None, parallel: int = 64,
             resign_threshold: float | None | str = AS_SEARCH,
             best_version: int | None = None) -> dict[str, Any]:
        """Play candidate against best; returns ``gate_report`` plus ``opening_moves``,
        ``resign_threshold``, ``evaluations`` (network evaluations of both sides) and
        ``seconds``.

        The candidate is promoted when the SPRT accepts it early, or when it scores at
        least ``threshold`` of the ``games`` games. ``resign_threshold``: a side resigns
        when its search's value falls below it (the run's calibrated threshold; ``None``:
        never; default: the gate search's). With a ``server``, ``best_weights`` is not
        used (``None`` is fine): the best is the network the server serves, which must be
        ``best_version`` when that is given.
        """
        start = time.perf_counter()
        search = self.search
        if resign_threshold != AS_SEARCH:
            search = dataclasses.replace(search, resign_threshold=resign_threshold)
        candidate, best = self._sides(candidate_weights, best_weights, best_version)

        self._count = {"planned": games, "played": 0, "wins": 0, "losses": 0, "draws": 0}

        def stop(result: MatchResult) -> bool:
            self._count = {"planned": games, "played": result.played, "wins": result.wins,
                           "losses": result.losses, "draws": result.draws}
            return gate_decision(result.score, result.played, games, threshold,
                                 sprt) is not Decision.CONTINUE

        try:
            result = play_gate_match(candidate, best, self.rules, search, games,
                                     parallel=parallel, stop=stop,
                                     seed=int(self._rng.integers(2**63)),
                                     opening_moves=self.opening_moves)
        finally:
            if self.server is not None:
                self._drop_candidate()
        report = gate_report(result, games, threshold, sprt)
        report["opening_moves"] = self.opening_moves
        report["resign_threshold"] = search.resign_threshold
        report["evaluations"] = candidate.positions + best.positions
        report["seconds"] = time.perf_counter() - start
        return report

    def _sides(self, candidate_weights: list[np.ndarray],
               best_weights: list[np.ndarray] | None, best_version: int | None
               ) -> tuple[CountingEvaluator, CountingEvaluator]:
        """The candidate's and the best's evaluators, weights loaded, counting."""
        if self.server is None:
            if best_weights is None:
                raise ValueError("a gatekeeper without a server needs the best's weights")
            self._evaluators["candidate"].set_weights(candidate_weights)
            self._evaluators["best"].set_weights(best_weights)
            return (CountingEvaluator(self._evaluators["candidate"]),
                    CountingEvaluator(self._evaluators["best"]))
        import ray

        from selfplay.remote_evaluator import RemoteEvaluator

        if isinstance(self.server, str):
            self.server = ray.get_actor(self.server)
        ray.get(self.server.load_network.remote(CANDIDATE_KEY, candidate_weights))
        n, h = self.config.board_size, self.config.history_length
        return (CountingEvaluator(RemoteEvaluator(self.server, n, h, network=CANDIDATE_KEY)),
                CountingEvaluator(RemoteEvaluator(self.server, n, h,
                                                  expect_version=best_version)))

    def progress(self) -> dict[str, int]:
        """The match being played (or the last one): ``planned`` games, and the
        candidate's games ``played``, ``wins``, ``losses``, ``draws`` counted so far (the
        actor answers this while ``play`` runs)."""
        return dict(self._count)

    def _drop_candidate(self) -> None:
        import ray

        try:
            ray.get(self.server.drop_network.remote(CANDIDATE_KEY), timeout=60)
        except (ray.exceptions.RayError, TimeoutError):
            pass  # a restarted server holds no candidate anyway


def _local_networks(config: NetworkConfig, rng: np.random.Generator, gpus: float,
                    threads: int | None) -> dict[str, Any]:
    """Two TensorFlow networks of ``config``'s shape in this process, "candidate" and
    "best" (a gatekeeper without a server)."""
    from network import backend

    if gpus <= 0:
        backend.hide_gpus()
    backend.configure(gpu_memory_growth=True, threads=threads)
    from network import NetworkEvaluator, build_model

    return {name: NetworkEvaluator(build_model(config), config,
                                   seed=int(rng.integers(2**63)))
            for name in ("candidate", "best")}
