"""The gate's error rates, by simulation: candidates of known strength whose games run many
at once, with lengths drawn at random, counted through the gate's own code path
(``StartOrder`` for start order, ``gate_decision`` with the SPRT at whole colour pairs),
not full Go games.

Each simulated gate plays up to ``gate_games`` games, ``gate_parallel_games`` at once (the
run config's defaults: 400 and 64, SPRT p0 = 0.5, p1 = 0.6, alpha = beta = 0.05, then the
0.55 threshold): a slot that frees up starts the next game at once.
"""

import heapq

import numpy as np
import pytest

from arena.match_loop import StartOrder
from arena.sprt import Decision, gate_decision, gate_sprt
from rundir.config import PipelineConfig

PIPELINE = PipelineConfig()
SPRT = gate_sprt(PIPELINE)


def simulate_gate(rng: np.random.Generator, p: float, quick_wins: bool,
                  start_order: bool = True, colour_bias: float = 0.0) -> tuple[Decision, int]:
    """One gate of a candidate that wins each game with probability ``p``; returns the
    decision and the games it was based on.

    ``colour_bias``: each colour pair's opening favours black by ``b`` drawn uniformly from
    ``[-colour_bias, colour_bias]``: the candidate wins with ``p + b`` as black (game
    ``2k``) and ``p - b`` as white (game ``2k + 1``), so a pair's games are correlated.

    Game lengths are uniform on [0.5, 1.5], or with ``quick_wins`` the candidate's wins
    take [0.2, 0.5] and its losses [0.8, 1.2] (the best network resigning lost games
    early). ``start_order``: the gate as it is (start order, whole pairs); otherwise each
    game counts as it finishes and the SPRT looks after every game (the former gate).
    """
    planned, parallel = PIPELINE.gate_games, PIPELINE.gate_parallel_games
    bias = np.repeat(rng.uniform(-colour_bias, colour_bias, (planned + 1) // 2), 2)
    candidate_colour = np.tile([1, -1], (planned + 1) // 2)
    wins = rng.random(planned) < p + (bias * candidate_colour)[:planned]
    if quick_wins:
        length = np.where(wins, rng.uniform(0.2, 0.5, planned), rng.uniform(0.8, 1.2, planned))
    else:
        length = rng.uniform(0.5, 1.5, planned)
    running = [(float(length[i]), i) for i in range(min(parallel, planned))]
    heapq.heapify(running)
    started = len(running)
    order: StartOrder[int] = StartOrder()
    score = games = 0
    while running:
        now, finished = heapq.heappop(running)
        for i in order.add(finished, finished) if start_order else [finished]:
            score += int(wins[i])
            games += 1
            verdict = gate_decision(float(score), games, planned, PIPELINE.gate_threshold,
                                    SPRT, paired=start_order)
            if verdict is not Decision.CONTINUE:
                return verdict, games
        if started < planned:
            heapq.heappush(running, (now + float(length[started]), started))
            started += 1
    raise AssertionError("every game was played without a decision")


def rate(p: float, quick_wins: bool, outcome: Decision, gates: int, seed: int,
         start_order: bool = True, colour_bias: float = 0.0) -> tuple[float, float]:
    """The share of ``gates`` simulated gates that decide ``outcome``, and their mean
    number of counted games."""
    rng = np.random.default_rng(seed)
    runs = [simulate_gate(rng, p, quick_wins, start_order, colour_bias)
            for _ in range(gates)]
    if start_order:  # decided at whole colour pairs (or once every game is played)
        assert all(n % 2 == 0 or n == PIPELINE.gate_games for _, n in runs)
    return (sum(v is outcome for v, _ in runs) / gates,
            float(np.mean([n for _, n in runs])))


def margin(bound: float, trials: int) -> float:
    """Three standard errors of a rate ``bound`` measured on ``trials`` trials."""
    return 3 * (bound * (1 - bound) / trials) ** 0.5


@pytest.mark.parametrize("p, outcome, bound", [
    (SPRT.p0, Decision.PROMOTE, SPRT.alpha),  # promoting a candidate no better than the best
    (SPRT.p1, Decision.REJECT, SPRT.beta),    # rejecting a clearly better one
])
def test_the_gates_error_rates_hold_for_known_strengths(p, outcome, bound):
    gates = 2000
    errors, games = rate(p, quick_wins=False, outcome=outcome, gates=gates, seed=11)
    assert errors <= bound + margin(bound, gates), (errors, games)
    assert 40 < games < PIPELINE.gate_games, games  # the SPRT stops well before 400


def test_counting_in_start_order_removes_the_bias_of_quick_wins():
    """The candidate is no better than the best (p = p0), but its wins are quick: counted
    as games finish, the first of 64 running games to end are nearly all wins and the old
    gate promoted it almost every time; counted in start order, at most ~alpha."""
    old, old_games = rate(SPRT.p0, True, Decision.PROMOTE, 200, seed=12, start_order=False)
    new, new_games = rate(SPRT.p0, True, Decision.PROMOTE, 2000, seed=13)
    assert old > 0.9 and old_games < 40, (old, old_games)
    assert new <= SPRT.alpha + margin(SPRT.alpha, 2000), (new, new_games)
    better, _ = rate(SPRT.p1, True, Decision.REJECT, 2000, seed=14)
    assert better <= SPRT.beta + margin(SPRT.beta, 2000), better


@pytest.mark.parametrize("p, outcome, bound", [(SPRT.p0, Decision.PROMOTE, SPRT.alpha),
                                               (SPRT.p1, Decision.REJECT, SPRT.beta)])
def test_error_rates_hold_when_openings_favour_one_colour(p, outcome, bound):
    """Openings that favour one colour by up to 35 points make the two games of a pair
    anti-correlated; counting them as independent games then errs on the safe side."""
    gates = 1000
    errors, games = rate(p, False, outcome, gates, seed=15, colour_bias=0.35)
    assert errors <= bound + margin(bound, gates), (errors, games)
