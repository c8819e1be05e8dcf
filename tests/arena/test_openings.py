"""Gate openings drawn from a network's policy."""

import numpy as np
import pytest

from arena.openings import sample_openings
from go import Position, RulesConfig
from mcts import UniformEvaluator

RULES = RulesConfig(5, 7.5, 50)


class OnePoint(UniformEvaluator):
    """All the prior on point ``point`` when it is legal (else uniform)."""

    def __init__(self, point: int) -> None:
        super().__init__(5, 1)
        self.point = point

    def evaluate(self, boards, to_play, legal):
        priors, values = super().evaluate(boards, to_play, legal)
        sure = legal[:, self.point]
        priors[sure] = 0.0
        priors[sure, self.point] = 1.0
        return priors, values


def test_openings_are_legal_reproducible_and_differ_between_pairs():
    openings = sample_openings(UniformEvaluator(5, 2), RULES, 30, 4, seed=7)
    assert len(openings) == 30 and all(len(o) == 4 for o in openings)
    assert len({tuple(o) for o in openings}) >= 25  # 25*24*23*22 choices
    for opening in openings:
        position = Position.from_rules(RULES)
        for move in opening:
            assert move != position.pass_move
            position = position.play(move)  # raises if illegal
    assert sample_openings(UniformEvaluator(5, 2), RULES, 30, 4, seed=7) == openings
    assert sample_openings(UniformEvaluator(5, 2), RULES, 30, 4, seed=8) != openings
    # pair k's opening depends on the seed and k alone, not on how many pairs are drawn
    assert sample_openings(UniformEvaluator(5, 2), RULES, 3, 4, seed=7) == openings[:3]


def test_openings_follow_the_policy_and_stop_before_the_move_limit():
    openings = sample_openings(OnePoint(12), RULES, 5, 1, seed=0)
    assert openings == [[12]] * 5
    second = sample_openings(OnePoint(12), RULES, 20, 2, seed=0)
    assert all(o[0] == 12 and o[1] != 12 for o in second)  # 12 is occupied at move 2
    short = sample_openings(UniformEvaluator(5, 1), RulesConfig(5, 7.5, 3), 4, 6, seed=0)
    assert all(len(o) == 2 for o in short)  # a third move would end the game
    assert sample_openings(UniformEvaluator(5, 1), RULES, 3, 0, seed=0) == [[], [], []]
    with pytest.raises(ValueError, match="opening moves must be an integer >= 0, got -1"):
        sample_openings(UniformEvaluator(5, 1), RULES, 3, -1, seed=0)
    assert np.all([isinstance(m, int) for o in second for m in o])
