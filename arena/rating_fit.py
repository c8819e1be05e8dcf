"""Maximum-likelihood Elo ratings from game results (Bradley-Terry on the Elo scale).

The model: ``P(i beats j) = 1 / (1 + 10 ** ((R_j - R_i) / 400))``; a draw counts as half a
win for each side. One player (the anchor, e.g. the uniform-random player) is fixed at a
given rating; the others are fitted by Newton's method on the log-likelihood. Every pair
that played also gets ``prior_draws`` virtual draws (BayesElo's trick), which keeps ratings
finite when one side won every game and barely moves them otherwise.
Confidence intervals come from the inverse of the observed Fisher information.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

ELO_SCALE = 400.0 / np.log(10.0)  # Elo points per natural-log unit of odds


@dataclass(frozen=True)
class PairResult:
    """Games between two players: ``score`` is ``a``'s wins plus half its draws."""

    a: str
    b: str
    games: float
    score: float

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"a player cannot play itself: {self.a!r}")
        if self.games <= 0:
            raise ValueError(f"games must be positive, got {self.games} for {self.a} vs {self.b}")
        if not 0 <= self.score <= self.games:
            raise ValueError(
                f"score must lie in [0, games={self.games}], got {self.score} "
                f"for {self.a} vs {self.b}")


@dataclass(frozen=True)
class Rating:
    """A fitted rating (Elo) with its standard error and 95% interval."""

    player: str
    elo: float
    stderr: float
    games: float

    @property
    def interval(self) -> tuple[float, float]:
        return self.elo - 1.96 * self.stderr, self.elo + 1.96 * self.stderr


def fit_ratings(
    results: Iterable[PairResult],
    anchor: str,
    anchor_elo: float = 0.0,
    prior_draws: float = 1.0,
    iterations: int = 100,
) -> dict[str, Rating]:
    """Fit Elo ratings to ``results`` with ``anchor`` fixed at ``anchor_elo``.

    Returns ``{player: Rating}``. Players not connected to the anchor by any chain of
    games cannot be rated and raise ``ValueError`` naming them.
    """
    results = list(results)
    players = sorted({r.a for r in results} | {r.b for r in results})
    if anchor not in players:
        raise ValueError(f"anchor {anchor!r} played no game; players are {players}")
    _check_connected(players, results, anchor)
    index = {p: i for i, p in enumerate(players)}
    n = len(players)
    games = np.zeros((n, n))
    score = np.zeros((n, n))  # score[i, j]: i's points against j
    for r in results:
        i, j = index[r.a], index[r.b]
        games[i, j] += r.games
        games[j, i] += r.games
        score[i, j] += r.score
        score[j, i] += r.games - r.score
    played = games > 0
    games = games + prior_draws * played
    score = score + 0.5 * prior_draws * played

    free = np.array([p != anchor for p in players])
    theta = np.zeros(n)  # natural-log strengths; anchor stays 0
    for _ in range(iterations):
        gradient, hessian = _derivatives(theta, games, score)
        g, h = gradient[free], hessian[np.ix_(free, free)]
        step = np.linalg.solve(h, -g)
        theta[free] += np.clip(step, -3.0, 3.0)
        if np.max(np.abs(step)) < 1e-10:
            break
    _, hessian = _derivatives(theta, games, score)
    covariance = np.zeros((n, n))
    covariance[np.ix_(free, free)] = np.linalg.inv(-hessian[np.ix_(free, free)])
    stderr = np.sqrt(np.maximum(np.diag(covariance), 0.0)) * ELO_SCALE
    elo = theta * ELO_SCALE + anchor_elo
    totals = (games - prior_draws * played).sum(axis=1)
    return {p: Rating(p, float(elo[i]), float(stderr[i]), float(totals[i]))
            for p, i in index.items()}


def expected_score(elo_a: float, elo_b: float) -> float:
    """The expected score of a player rated ``elo_a`` against one rated ``elo_b``."""
    return 1.0 / (1.0 + 10.0 ** ((elo_b - elo_a) / 400.0))


def _derivatives(theta: np.ndarray, games: np.ndarray, score: np.ndarray):
    diff = theta[:, None] - theta[None, :]
    p = 1.0 / (1.0 + np.exp(-diff))  # P(i beats j)
    gradient = (score - games * p).sum(axis=1)
    w = games * p * (1.0 - p)
    hessian = w - np.diag(w.sum(axis=1))  # games[i, i] is 0, so w's diagonal is 0
    return gradient, hessian


def _check_connected(players: Sequence[str], results: Sequence[PairResult], anchor: str) -> None:
    links: dict[str, set[str]] = {p: set() for p in players}
    for r in results:
        links[r.a].add(r.b)
        links[r.b].add(r.a)
    seen, todo = {anchor}, [anchor]
    while todo:
        for q in links[todo.pop()] - seen:
            seen.add(q)
            todo.append(q)
    missing = sorted(set(players) - seen)
    if missing:
        raise ValueError(f"players {missing} have no chain of games to the anchor {anchor!r}")
