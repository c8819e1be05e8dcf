"""Leaf collisions in a batched step: a selection that reaches a leaf already pending in its
step keeps its virtual visit until the step is selected, so the tree's later selections
turn elsewhere; afterwards the statistics are exactly as if it never happened."""

import numpy as np

import go
from mcts import BatchedSearch, FixedPriorEvaluator, SearchConfig

SIZE = 5
CENTRE = 12


class BatchRecorder(FixedPriorEvaluator):
    """A sharp fixed policy (value 0) that records how many distinct positions each
    evaluator call receives."""

    def __init__(self, priors: np.ndarray) -> None:
        super().__init__(priors, history_length=1)
        self.batches: list[tuple[int, int]] = []  # (positions, distinct positions)

    def evaluate(self, boards, to_play, legal):
        distinct = {(b.tobytes(), int(t)) for b, t in zip(boards, to_play, strict=True)}
        self.batches.append((len(boards), len(distinct)))
        return super().evaluate(boards, to_play, legal)


def _sharp_policy() -> np.ndarray:
    """97% on the centre point, the rest spread evenly over the other moves."""
    priors = np.full(SIZE * SIZE + 1, 0.03 / (SIZE * SIZE), np.float32)
    priors[CENTRE] = 0.97
    return priors / priors.sum()


def test_a_sharp_policy_still_fills_the_step_with_distinct_leaves():
    """After the root's evaluation, the first of 8 selections makes the centre's child and
    leaves it pending; the second would pick the centre again (a collision). Undoing that
    collision at once sent every later selection of the step down the same path, so the
    step evaluated a single leaf. Now the step evaluates 8 distinct leaves."""
    evaluator = BatchRecorder(_sharp_policy())
    search = BatchedSearch(evaluator, SearchConfig(num_simulations=9, leaves_per_tree=8), 1)
    search.set_root(0, go.Position.new(SIZE, 7.5))
    search.run()
    assert evaluator.batches == [(1, 1), (8, 8), (1, 1)]
    assert search.steps == 3
    assert search.collisions >= 1  # the second selection did collide, and was counted


def test_collided_visits_leave_no_trace_after_the_step():
    """Every value is 0, so any virtual loss left behind would show as a negative Q; visit
    counts add up: a node's visits are its own evaluation plus its edges' visits. (The pass
    floor is off: it would give a position reached by a pass the count's value.)"""
    evaluator = BatchRecorder(_sharp_policy())
    search = BatchedSearch(evaluator, SearchConfig(num_simulations=200, leaves_per_tree=8,
                                                   pass_floor=False), 1)
    search.set_root(0, go.Position.new(SIZE, 7.5))
    search.run()
    assert search.collisions > 0
    stack: list[list[int]] = [[]]
    nodes = 0
    while stack:
        path = stack.pop()
        stats = search.root_stats(0, path)
        nodes += 1
        assert stats.total_visits == 1 + stats.visits.sum(), path
        visited = stats.visits > 0
        assert np.all(stats.q[visited] == 0.0), (path, stats.q[visited])
        assert stats.value == 0.0
        for move in np.flatnonzero(visited):
            position = search.position(0)
            for m in [*path, int(move)]:
                position = position.play(m)
            if not position.is_over():
                stack.append([*path, int(move)])
    assert nodes == search.evaluations
    assert search.root_stats(0).visits.sum() == 200
