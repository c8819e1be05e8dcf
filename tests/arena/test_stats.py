"""Match statistics: the Wilson interval, the Elo formula, and the one Elo answer every match
summary reports (finite, a clean sweep included)."""

import json
import math

import pytest

from arena.match_loop import GameOutcome, MatchResult
from arena.stats import elo_difference, format_elo, match_elo, wilson_interval


def test_wilson_interval_known_values():
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(10, 10)
    assert high == 1 and low == pytest.approx(0.7225, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_elo_difference():
    assert elo_difference(0.5) == 0
    assert elo_difference(0.75) == pytest.approx(190.85, abs=0.01)
    assert elo_difference(0.25) == pytest.approx(-190.85, abs=0.01)
    assert elo_difference(1.0) == math.inf and elo_difference(0.0) == -math.inf
    assert format_elo(math.inf) == "+inf" and format_elo(-12.4) == "-12"
    with pytest.raises(ValueError, match=r"win rate must be in \[0, 1\], got 1.5"):
        elo_difference(1.5)


def test_match_elo_interval_contains_the_estimate_and_narrows_with_games():
    small = match_elo(60, 100)
    large = match_elo(600, 1000)
    for e in (small, large):
        assert e.low < e.elo < e.high
    assert large.high - large.low < 0.5 * (small.high - small.low)
    assert match_elo(50, 100).elo == pytest.approx(0.0)
    sweep = match_elo(4, 4)  # a clean sweep stays finite
    assert math.isfinite(sweep.elo) and math.isfinite(sweep.high) and sweep.elo > 0
    mirrored = match_elo(0, 4)
    assert mirrored.elo == pytest.approx(-sweep.elo)
    assert mirrored.low == pytest.approx(-sweep.high)
    with pytest.raises(ValueError, match="at least one game"):
        match_elo(0, 0)


def test_a_clean_sweep_has_one_finite_answer_everywhere():
    """4 wins in 4 games: the estimate is the formula at (4 + 1/2) / 5, its upper end the
    same (capped at 1 - 1/2 / 5), its lower end the Wilson interval's; the referee's table
    and a JSON report show the same finite numbers."""
    sweep = match_elo(4, 4)
    assert sweep.elo == pytest.approx(elo_difference(0.9)) == pytest.approx(381.7, abs=0.1)
    assert sweep.high == pytest.approx(sweep.elo)
    assert sweep.low == pytest.approx(elo_difference(wilson_interval(4, 4)[0]))
    assert 0 < sweep.low < sweep.elo
    more = match_elo(40, 40)
    assert math.isfinite(more.elo) and more.elo > sweep.elo and more.low > sweep.low
    result = MatchResult([GameOutcome(c, c, "B+R" if c == 1 else "W+R", 30, "resigned")
                          for c in (1, -1, 1, -1)], names={"A": "x", "B": "y"})
    assert result.elo("A") == sweep and result.elo("B") == match_elo(0, 4)
    table = result.table()
    assert "inf" not in table and "Elo A - B +382 (95% CI +7 .. +382)" in table
    assert json.loads(json.dumps(sweep.__dict__, allow_nan=False)) == sweep.__dict__
