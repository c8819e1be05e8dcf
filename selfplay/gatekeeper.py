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
difference (candidate minus best) with its 95% interval (``arena.stats.match_elo``).
"""

from __future__ import annotations

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
    """Holds two networks of ``network_config``'s shape and plays gate matches.

    Args:
        network_config, rules: the networks' shape and the games' rules.
        search: the gate search (``RunConfig.gate_search()``: no noise).
        gpus, threads: as for the learner.
        seed: seeds the networks' random symmetries and the matches.
        opening_moves: moves of each colour pair's opening, drawn from the best network's
            policy (``PipelineConfig.gate_opening_moves``).
    """

    def __init__(self, network_config: NetworkConfig, rules: RulesConfig,
                 search: SearchConfig, gpus: float = 0.0, threads: int | None = None,
                 seed: int | None = None,
                 opening_moves: int = DEFAULT_OPENING_MOVES) -> None:
        from network import backend

        if gpus <= 0:
            backend.hide_gpus()
        backend.configure(gpu_memory_growth=True, threads=threads)
        from network import NetworkEvaluator, build_model

        self.config = network_config
        self.rules = rules
        self.search = search
        if isinstance(opening_moves, bool) or not isinstance(opening_moves, int) \
                or opening_moves < 0:
            raise ValueError(f"opening_moves must be an integer >= 0, got {opening_moves!r}")
        self.opening_moves = opening_moves
        self._rng = np.random.default_rng(seed)
        self._count = {"planned": 0, "played": 0, "wins": 0, "losses": 0, "draws": 0}
        self._evaluators = {
            name: NetworkEvaluator(build_model(network_config), network_config,
                                   seed=int(self._rng.integers(2**63)))
            for name in ("candidate", "best")}

    def play(self, candidate_weights: list[np.ndarray], best_weights: list[np.ndarray],
             games: int, threshold: float, sprt: Sprt | None, parallel: int = 64
             ) -> dict[str, Any]:
        """Play candidate against best; returns ``gate_report`` plus ``opening_moves`` and
        ``seconds``.

        The candidate is promoted when the SPRT accepts it early, or when it scores at
        least ``threshold`` of the ``games`` games.
        """
        start = time.perf_counter()
        evaluators = self._evaluators
        evaluators["candidate"].set_weights(candidate_weights)
        evaluators["best"].set_weights(best_weights)

        self._count = {"planned": games, "played": 0, "wins": 0, "losses": 0, "draws": 0}

        def stop(result: MatchResult) -> bool:
            self._count = {"planned": games, "played": result.played, "wins": result.wins,
                           "losses": result.losses, "draws": result.draws}
            return gate_decision(result.score, result.played, games, threshold,
                                 sprt) is not Decision.CONTINUE

        result = play_gate_match(evaluators["candidate"], evaluators["best"], self.rules,
                                 self.search, games, parallel=parallel, stop=stop,
                                 seed=int(self._rng.integers(2**63)),
                                 opening_moves=self.opening_moves)
        report = gate_report(result, games, threshold, sprt)
        report["opening_moves"] = self.opening_moves
        report["seconds"] = time.perf_counter() - start
        return report

    def progress(self) -> dict[str, int]:
        """The match being played (or the last one): ``planned`` games, and the
        candidate's games ``played``, ``wins``, ``losses``, ``draws`` counted so far (the
        actor answers this while ``play`` runs)."""
        return dict(self._count)
