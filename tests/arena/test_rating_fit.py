"""The Elo fit recovers known ratings from simulated results."""

import numpy as np
import pytest

from arena.rating_fit import PairResult, expected_score, fit_ratings

TRUE = {"random": 0.0, "g1": 150.0, "g2": 420.0, "g3": 700.0, "gnugo0": 560.0}


def simulate(rng, pairs, games):
    out = []
    for a, b in pairs:
        wins = rng.binomial(games, expected_score(TRUE[a], TRUE[b]))
        out.append(PairResult(a, b, games, float(wins)))
    return out


def test_fit_recovers_known_ratings_within_their_intervals():
    rng = np.random.default_rng(7)
    pairs = [("g1", "random"), ("g2", "g1"), ("g3", "g2"), ("gnugo0", "g2"),
             ("g3", "gnugo0"), ("g2", "random"), ("gnugo0", "g1")]
    ratings = fit_ratings(simulate(rng, pairs, 2000), anchor="random")
    assert ratings["random"].elo == 0.0 and ratings["random"].stderr == 0.0
    for name, true in TRUE.items():
        low, high = ratings[name].interval
        assert abs(ratings[name].elo - true) < 40, (name, ratings[name])
        assert low - 10 <= true <= high + 10, (name, ratings[name])
    # more games, narrower intervals
    fewer = fit_ratings(simulate(rng, pairs, 200), anchor="random")
    assert fewer["g3"].stderr > 2 * ratings["g3"].stderr


def test_intervals_cover_the_truth_at_about_95_percent():
    rng = np.random.default_rng(1)
    pairs = [("g1", "random"), ("g2", "g1"), ("g2", "random")]
    covered = 0
    trials = 200
    for _ in range(trials):
        low, high = fit_ratings(simulate(rng, pairs, 300), anchor="random",
                                prior_draws=0.0)["g2"].interval
        covered += low <= TRUE["g2"] <= high
    assert 0.88 <= covered / trials <= 0.99


def test_perfect_record_stays_finite_and_large():
    ratings = fit_ratings([PairResult("strong", "random", 100, 100.0)], anchor="random")
    assert 600 < ratings["strong"].elo < 2000


def test_anchor_rating_and_disconnected_players():
    ratings = fit_ratings([PairResult("a", "b", 10, 5.0)], anchor="b", anchor_elo=1000.0)
    assert ratings["b"].elo == 1000.0
    assert ratings["a"].elo == pytest.approx(1000.0, abs=1e-6)
    with pytest.raises(ValueError, match=r"\['c', 'd'\].*anchor 'a'"):
        fit_ratings([PairResult("a", "b", 10, 5.0), PairResult("c", "d", 4, 1.0)], anchor="a")
    with pytest.raises(ValueError, match="score must lie"):
        PairResult("a", "b", 10, 11.0)
    with pytest.raises(ValueError, match="anchor 'zz'"):
        fit_ratings([PairResult("a", "b", 10, 5.0)], anchor="zz")
