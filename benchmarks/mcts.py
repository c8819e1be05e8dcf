"""Search speed: simulations/s of ``mcts.BatchedSearch`` on 9x9, 800 simulations per move.

For G = 1, 16 and 64 concurrent games, with a free evaluator (uniform priors, value 0) and a
random-value evaluator (uniform priors, value uniform in [-1, 1]: deeper trees), each next
to OpenSpiel's Python ``MCTSBot`` (PUCT, the same kind of evaluator, one game) measured in
the same run: records carry ``"reference": "openspiel_mctsbot"`` and ``"ratio"``.
Also reported: the search's own cost per simulation (evaluator time excluded) next to the
CPU preset network's cost per evaluation at the same batch size, when ``network`` is
importable, and a short search with that network.

``collisions_per_step``: selections per search step (all 16 trees together) that reached a
leaf already pending in that step, with 4 and 8 leaves per tree (the 19x19 preset's and the
GTP engine's), for a sharp policy standing in for a trained network (about 90% on one
move in every position) and for uniform priors; values uniform in [-1, 1].
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

import go
from mcts import BatchedSearch, RandomValueEvaluator, SearchConfig, UniformEvaluator

SIZE = 9
KOMI = 7.5
SIMULATIONS = 800
GAMES = (1, 16, 64)
COLLISION_LEAVES = (4, 8)


class SharpPolicyEvaluator(RandomValueEvaluator):
    """A policy as sharp as a trained network's: the legal moves ranked in one fixed random
    order get priors in proportion to ``0.1 ** rank`` (about 90% on the first legal one, in
    every position); values uniform in [-1, 1] (seeded)."""

    def __init__(self, board_size: int, history_length: int, seed: int = 0) -> None:
        super().__init__(board_size, history_length, seed=seed)
        rank = np.random.default_rng(seed).permutation(board_size * board_size + 1)
        self._order = np.argsort(rank)  # moves from most to least preferred

    def evaluate(self, boards, to_play, legal):
        _, values = super().evaluate(boards, to_play, legal)
        ranked = legal[:, self._order]
        position = np.cumsum(ranked, axis=1) - 1  # rank among the legal moves
        weights = np.where(ranked, 0.1 ** np.minimum(position, 30), 0.0)
        priors = np.empty(legal.shape, np.float32)
        priors[:, self._order] = weights / weights.sum(axis=1, keepdims=True)
        return priors, values


class _Timed:
    """Wraps an evaluator and adds up the seconds spent in ``evaluate``."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.board_size = inner.board_size
        self.history_length = inner.history_length
        self.seconds = 0.0

    def evaluate(self, boards, to_play, legal):
        start = time.perf_counter()
        out = self.inner.evaluate(boards, to_play, legal)
        self.seconds += time.perf_counter() - start
        return out


def _make_evaluator(kind: str, history: int = 8):
    if kind == "free":
        return UniformEvaluator(SIZE, history)
    return RandomValueEvaluator(SIZE, history, seed=0)


def _search_speed(evaluator, games: int, moves: int, simulations: int,
                  leaves_per_tree: int = 1) -> dict:
    """Play ``moves`` moves in ``games`` games from the empty board; time the searches."""
    timed = _Timed(evaluator)
    config = SearchConfig(num_simulations=simulations, leaves_per_tree=leaves_per_tree)
    search = BatchedSearch(timed, config, games, seed=0)
    for g in range(games):
        search.set_root(g, go.Position.new(SIZE, KOMI))
    seconds = 0.0
    for _ in range(moves):
        start = time.perf_counter()
        search.run()
        seconds += time.perf_counter() - start
        for g in range(games):
            search.advance(g, search.choose_move(g))
    sims = games * moves * simulations
    return {
        "sims_per_s": sims / seconds,
        "search_us_per_sim": (seconds - timed.seconds) / sims * 1e6,
        "evaluator_us_per_sim": timed.seconds / sims * 1e6,
        "mean_batch": search.evaluations / max(search.evaluator_calls, 1),
        "seconds": seconds,
    }


def _collisions(evaluator, leaves_per_tree: int, moves: int, simulations: int) -> dict:
    """Play ``moves`` moves in 16 games with ``leaves_per_tree``; count the collisions."""
    games = 16
    config = SearchConfig(num_simulations=simulations, leaves_per_tree=leaves_per_tree)
    search = BatchedSearch(evaluator, config, games, seed=0)
    for g in range(games):
        search.set_root(g, go.Position.new(SIZE, KOMI))
    for _ in range(moves):
        search.run()
        for g in range(games):
            search.advance(g, search.choose_move(g))
    return {"value": round(search.collisions / search.steps, 3), "steps": search.steps,
            "mean_batch": round(search.evaluations / max(search.evaluator_calls, 1), 1),
            "games": games, "moves": moves, "simulations_per_move": simulations}


def _warm_up() -> None:
    """Compile (or load from cache) the numba kernels outside the timed runs."""
    _search_speed(UniformEvaluator(SIZE, 8), 2, 2, 50)


def _openspiel_speed(kind: str, moves: int) -> float | str:
    """OpenSpiel MCTSBot simulations/s on 9x9 Go, or the reason it could not run."""
    try:
        import pyspiel
        from open_spiel.python.algorithms import mcts as os_mcts
    except ImportError as exc:  # the "bench" extra is not installed
        return f"open_spiel unavailable: {exc}"

    class FreeEvaluator(os_mcts.Evaluator):
        """Uniform priors, value 0 for both players."""

        def evaluate(self, state):
            return np.zeros(2)

        def prior(self, state):
            legal = state.legal_actions()
            return [(a, 1.0 / len(legal)) for a in legal]

    class RandomEvaluator(FreeEvaluator):
        """Uniform priors, a uniform random value in [-1, 1] (zero-sum)."""

        def __init__(self) -> None:
            self.rng = np.random.default_rng(0)

        def evaluate(self, state):
            v = self.rng.uniform(-1.0, 1.0)
            return np.array([v, -v])

    game = pyspiel.load_game("go", {"board_size": SIZE, "komi": KOMI})
    evaluator = FreeEvaluator() if kind == "free" else RandomEvaluator()
    bot = os_mcts.MCTSBot(game, uct_c=1.25, max_simulations=SIMULATIONS, evaluator=evaluator,
                          solve=False, random_state=np.random.RandomState(0),
                          child_selection_fn=os_mcts.SearchNode.puct_value)
    state = game.new_initial_state()
    start = time.perf_counter()
    for _ in range(moves):
        state.apply_action(bot.step(state))
    return moves * SIMULATIONS / (time.perf_counter() - start)


def _network_evaluator(batch: int, calls: int) -> tuple[object, float] | str:
    """The cpu9 preset's ``NetworkEvaluator`` and its µs per evaluation at ``batch``."""
    try:
        import network

        config = network.PRESETS["cpu9"]
        model = network.build_model(config)
        evaluator = network.NetworkEvaluator(model, config, seed=0)
    except Exception as exc:  # network is optional here: report why it is missing
        return f"network unavailable: {type(exc).__name__}: {exc}"
    rng = np.random.default_rng(0)
    h = config.history_length
    boards = rng.integers(-1, 2, size=(batch, h, SIZE, SIZE)).astype(np.int8)
    to_play = np.where(rng.random(batch) < 0.5, 1, -1).astype(np.int8)
    legal = np.ones((batch, SIZE * SIZE + 1), np.bool_)
    for _ in range(3):
        evaluator.evaluate(boards, to_play, legal)
    start = time.perf_counter()
    for _ in range(calls):
        evaluator.evaluate(boards, to_play, legal)
    return evaluator, (time.perf_counter() - start) / (calls * batch) * 1e6


def run(quick: bool) -> Iterator[dict]:
    """Yield the benchmark records (see the module docstring)."""
    moves = 1 if quick else 4
    os_moves = 1 if quick else 3
    _warm_up()
    search_cost = None
    for kind in ("free", "random"):
        reference = _openspiel_speed(kind, os_moves)
        base = {"bench": "mcts", "board_size": SIZE, "simulations_per_move": SIMULATIONS,
                "evaluator": kind}
        if isinstance(reference, str):
            yield {**base, "metric": "openspiel_mctsbot_simulations_per_s", "error": reference}
        else:
            yield {**base, "metric": "openspiel_mctsbot_simulations_per_s",
                   "value": round(reference), "unit": "sim/s", "games": 1,
                   "moves": os_moves}
        for games in GAMES:
            speed = _search_speed(_make_evaluator(kind), games, moves, SIMULATIONS)
            record = {**base, "metric": "simulations_per_s", "value": round(speed["sims_per_s"]),
                      "unit": "sim/s", "games": games, "moves": moves,
                      "search_us_per_sim": round(speed["search_us_per_sim"], 2),
                      "evaluator_us_per_sim": round(speed["evaluator_us_per_sim"], 2),
                      "mean_batch": round(speed["mean_batch"], 1)}
            if not isinstance(reference, str):
                record["reference"] = "openspiel_mctsbot"
                record["ratio"] = round(speed["sims_per_s"] / reference, 2)
            yield record
            if kind == "free" and games == GAMES[-1]:
                search_cost = speed["search_us_per_sim"]

    for prior in ("sharp", "uniform"):
        for leaves in COLLISION_LEAVES:
            evaluator = SharpPolicyEvaluator(SIZE, 8) if prior == "sharp" \
                else RandomValueEvaluator(SIZE, 8, seed=0)
            yield {"bench": "mcts", "metric": "collisions_per_step", "unit": "collisions/step",
                   "board_size": SIZE, "prior": prior, "leaves_per_tree": leaves,
                   **_collisions(evaluator, leaves, 2 if quick else 8, 200 if quick else 800)}

    batch = GAMES[-1]
    yield {"bench": "mcts", "metric": "search_us_per_simulation", "value": round(search_cost, 2),
           "unit": "us", "games": batch, "evaluator": "free",
           "note": "tree walk, move application, legality, inputs and backup; no evaluator"}
    measured = _network_evaluator(batch, calls=5 if quick else 20)
    if isinstance(measured, str):
        yield {"bench": "mcts", "metric": "network_us_per_evaluation", "error": measured}
        return
    evaluator, net_us = measured
    yield {"bench": "mcts", "metric": "network_us_per_evaluation", "value": round(net_us, 2),
           "unit": "us", "preset": "cpu9", "batch": batch,
           "search_share": round(search_cost / (search_cost + net_us), 4),
           "note": "search_share: the search's cost per simulation over search + network"}
    sims = 16 if quick else 100
    speed = _search_speed(evaluator, batch, 1, sims)
    yield {"bench": "mcts", "metric": "simulations_per_s_with_network",
           "value": round(speed["sims_per_s"]), "unit": "sim/s", "preset": "cpu9",
           "games": batch, "simulations_per_move": sims,
           "search_us_per_sim": round(speed["search_us_per_sim"], 2),
           "evaluator_us_per_sim": round(speed["evaluator_us_per_sim"], 2),
           "search_share": round(speed["search_us_per_sim"]
                                 / (speed["search_us_per_sim"] + speed["evaluator_us_per_sim"]),
                                 4)}
