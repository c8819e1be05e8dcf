"""The gate's sequential test: Wald's SPRT and the gate decision."""

import math

import numpy as np
import pytest

from arena.sprt import Decision, Sprt, gate_decision


def test_sprt_bounds_and_llr_follow_wald():
    test = Sprt(p0=0.5, p1=0.6, alpha=0.05, beta=0.05)
    assert test.upper == pytest.approx(math.log(0.95 / 0.05))
    assert test.lower == pytest.approx(math.log(0.05 / 0.95))
    # 10 wins, 0 losses: 10 * ln(0.6 / 0.5)
    assert test.llr(10, 10) == pytest.approx(10 * math.log(1.2))
    assert test.llr(0, 10) == pytest.approx(10 * math.log(0.4 / 0.5))
    # draws count half: 2 draws = 1 win + 1 loss
    assert test.llr(1.0, 2) == pytest.approx(test.llr(1, 1) + test.llr(0, 1))


def test_sprt_stops_a_clear_result_early_and_waits_on_a_close_one():
    test = Sprt()
    wins_needed = next(n for n in range(1, 100) if test.decide(n, n) is Decision.PROMOTE)
    assert wins_needed == math.ceil(test.upper / math.log(1.2))  # 17 straight wins
    losses_needed = next(n for n in range(1, 100) if test.decide(0, n) is Decision.REJECT)
    assert losses_needed == math.ceil(test.lower / math.log(0.8))  # 14 straight losses
    assert test.decide(30, 55) is Decision.CONTINUE


@pytest.mark.parametrize("p, outcome, bound", [(0.5, Decision.PROMOTE, 0.05),
                                               (0.6, Decision.REJECT, 0.05)])
def test_sprt_error_rates_hold_on_simulated_matches(p, outcome, bound):
    """Promoting a 50% candidate and rejecting a 60% one each happen at most ~alpha."""
    rng = np.random.default_rng(3)
    test = Sprt()
    trials, errors = 600, 0
    for _ in range(trials):
        wins = np.cumsum(rng.random(2000) < p)
        for n in range(1, 2001):
            verdict = test.decide(int(wins[n - 1]), n)
            if verdict is not Decision.CONTINUE:
                errors += verdict is outcome
                break
    assert errors / trials < bound + 0.03, errors / trials


def test_gate_decision_uses_threshold_when_all_games_are_played():
    assert gate_decision(5, 10, 10, 0.55, None) is Decision.REJECT
    assert gate_decision(5.5, 10, 10, 0.55, None) is Decision.PROMOTE
    assert gate_decision(5, 9, 10, 0.55, None) is Decision.CONTINUE
    assert gate_decision(0, 4, 4, 0.0, None) is Decision.PROMOTE  # AlphaZero style
    assert gate_decision(17, 17, 400, 0.55, Sprt(), paired=False) is Decision.PROMOTE
    assert gate_decision(0, 14, 400, 0.55, Sprt(), paired=False) is Decision.REJECT
    # in colour pairs the test looks only at whole pairs: 17 games wait for the 18th
    assert gate_decision(17, 17, 400, 0.55, Sprt()) is Decision.CONTINUE
    assert gate_decision(18, 18, 400, 0.55, Sprt()) is Decision.PROMOTE
    assert gate_decision(0, 14, 400, 0.55, Sprt()) is Decision.REJECT
    assert gate_decision(0, 13, 400, 0.55, Sprt()) is Decision.CONTINUE
    assert gate_decision(0, 13, 13, 0.55, Sprt()) is Decision.REJECT  # all played: threshold
    with pytest.raises(ValueError, match="score <= games"):
        gate_decision(5, 4, 10, 0.55, None)
    with pytest.raises(ValueError, match="threshold must lie in"):
        gate_decision(1, 1, 1, 1.5, None)
    with pytest.raises(ValueError, match="p0 < p1"):
        Sprt(p0=0.6, p1=0.5)
    with pytest.raises(ValueError, match="alpha must lie"):
        Sprt(alpha=0.7)
