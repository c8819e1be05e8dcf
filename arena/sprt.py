"""Wald's sequential probability ratio test for a gate match, and the gate's decision.

The candidate's score per game (1 win, 1/2 draw, 0 loss) is treated as Bernoulli with
probability ``p``. H0: ``p = p0`` (no better than the best), H1: ``p = p1`` (clearly
better). After each game the log-likelihood ratio

    LLR = score * ln(p1 / p0) + (games - score) * ln((1 - p1) / (1 - p0))

is compared with ``ln(beta / (1 - alpha))`` (accept H0: reject the candidate) and
``ln((1 - beta) / alpha)`` (accept H1: promote it). ``alpha`` bounds the chance of
promoting a candidate of strength ``p0``, ``beta`` the chance of rejecting one of ``p1``.

The gate plays its games in colour pairs (games ``2k`` and ``2k + 1``: the same opening,
colours swapped) and counts them in start order (``arena.match_loop.StartOrder``). The
test looks at the score only at whole pairs (``gate_decision(paired=True)``): both games of
a pair enter the LLR above, one after the other, once the pair is complete; a pair scores
0, 1/2, 1, 3/2 or 2 points. Treating the two games as independent Bernoulli trials ignores
the pair's correlation, which for colour-swapped games from one opening is usually
negative (the opening favours one colour, each side wins once); the LLR then moves less
than it would with independent games, which makes the test, if anything, more cautious.
``tests/arena/test_gate_statistics.py`` measures the error rates by simulation (400 games,
64 at once, p0 = 0.5, p1 = 0.6, alpha = beta = 0.05: about 0.05 each, and lower when the
openings favour one colour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from rundir.config import PipelineConfig


class Decision(StrEnum):
    CONTINUE = "continue"
    PROMOTE = "promote"
    REJECT = "reject"


@dataclass(frozen=True)
class Sprt:
    """The test's hypotheses and error rates (see the module docstring)."""

    p0: float = 0.5
    p1: float = 0.6
    alpha: float = 0.05
    beta: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.p0 < self.p1 < 1:
            raise ValueError(f"SPRT needs 0 < p0 < p1 < 1, got p0={self.p0}, p1={self.p1}")
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not 0 < value < 0.5:
                raise ValueError(f"SPRT {name} must lie in (0, 0.5), got {value}")

    @cached_property
    def lower(self) -> float:
        """Accept H0 (reject the candidate) at or below this LLR."""
        return math.log(self.beta / (1 - self.alpha))

    @cached_property
    def upper(self) -> float:
        """Accept H1 (promote the candidate) at or above this LLR."""
        return math.log((1 - self.beta) / self.alpha)

    @cached_property
    def _log_ratios(self) -> tuple[float, float]:
        return math.log(self.p1 / self.p0), math.log((1 - self.p1) / (1 - self.p0))

    def llr(self, score: float, games: int) -> float:
        """Log-likelihood ratio of H1 over H0 after ``games`` games scoring ``score``."""
        if not 0 <= score <= games:
            raise ValueError(f"score must lie in [0, games={games}], got {score}")
        win, loss = self._log_ratios
        return score * win + (games - score) * loss

    def decide(self, score: float, games: int) -> Decision:
        llr = self.llr(score, games)
        if llr >= self.upper:
            return Decision.PROMOTE
        if llr <= self.lower:
            return Decision.REJECT
        return Decision.CONTINUE


def gate_decision(score: float, games: int, planned: int, threshold: float,
                  sprt: Sprt | None, paired: bool = True) -> Decision:
    """The gate's verdict after ``games`` of ``planned`` games scoring ``score``.

    ``games`` and ``score`` are the games counted in start order. The SPRT (when given) may
    stop the match early either way, looking only at whole colour pairs (``games`` even)
    when ``paired``; once all ``planned`` games are played the candidate is promoted when
    ``score / games >= threshold``.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"gate threshold must lie in [0, 1], got {threshold}")
    if games < 0 or not 0 <= score <= games:
        raise ValueError(f"a gate needs 0 <= score <= games, got score={score}, games={games}")
    whole = not paired or games % 2 == 0
    if sprt is not None and games > 0 and whole:
        verdict = sprt.decide(score, games)
        if verdict is not Decision.CONTINUE:
            return verdict
    if games >= planned:
        return Decision.PROMOTE if score >= threshold * games else Decision.REJECT
    return Decision.CONTINUE


def gate_sprt(pipeline: PipelineConfig) -> Sprt | None:
    """The gate's sequential test from a run's pipeline settings, or ``None`` when
    ``gate_sprt`` is off."""
    if not pipeline.gate_sprt:
        return None
    return Sprt(pipeline.sprt_p0, pipeline.sprt_p1, pipeline.sprt_alpha, pipeline.sprt_beta)
