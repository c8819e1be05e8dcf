"""The pipeline's pace, as arithmetic: how far the learner is behind self-play, whether
workers may play on, and how many training steps to ask for next. Pure functions of
counters (no Ray, no clock), so they are tested on their own.

The learner samples ``ratio`` positions (``samples_per_position``) per self-play position.
``owed`` is what it still has to sample; the learner waits when ``owed`` is below one
call's worth, and workers wait (backpressure) when it exceeds ``max_lag * ratio``.
Training calls never cross a generation's end: the learner hands over a candidate after
``first_generation`` steps and every ``steps_per_generation`` steps after that.

The start ramps: the learner takes its first step once the buffer holds ``first_step``
(a quarter of ``train_start``) positions, and until the run has ``train_start`` positions
it samples fewer per position, in proportion (``owed`` with ``train_start``): a first
network within minutes, without fitting a handful of games' results many times over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRST_STEP_FRACTION = 0.25  # of train_start: the learner's first step


@dataclass(frozen=True)
class Pace:
    """The pace settings (from ``PipelineConfig`` and ``TrainConfig``).

    ratio: samples per self-play position (> 0); max_lag: positions the learner may fall
    behind before workers wait; train_start: positions in the buffer before training
    starts; batch: positions per training step; steps_per_generation: steps between
    candidates; steps_per_call: most steps per training call; first_generation: steps
    to the first candidate, at most ``steps_per_generation`` (``None``: that).
    """

    ratio: float
    max_lag: int
    train_start: int
    batch: int
    steps_per_generation: int
    steps_per_call: int
    first_generation: int | None = None

    def steps_to_candidate(self, steps: int) -> int:
        """Steps from ``steps`` (training steps so far) to the end of its generation: the
        next candidate (at least 1)."""
        first = min(self.first_generation or self.steps_per_generation,
                    self.steps_per_generation)
        if steps < first:
            return first - steps
        return self.steps_per_generation - (steps - first) % self.steps_per_generation


def owed(positions: int, samples_trained: int, samples_in_flight: int, ratio: float,
         train_start: int = 0) -> float:
    """Samples the learner owes the ``positions`` played so far, counting the samples of
    training calls already sent (negative: the learner is ahead). Below ``train_start``
    positions the ratio ramps: ``ratio * positions / train_start`` samples per position."""
    if 0 < positions < train_start:
        ratio = ratio * positions / train_start
    return positions * ratio - samples_trained - samples_in_flight


def first_step(train_start: int) -> int:
    """Positions the buffer needs for the learner's first step: a quarter of
    ``train_start`` (``FIRST_STEP_FRACTION``), at least one."""
    return max(1, math.ceil(train_start * FIRST_STEP_FRACTION)) if train_start else 0


def training_started(samples_trained: int, buffer_positions: int, train_start: int) -> bool:
    """Training has started (it never stops again once it has: a resumed run whose
    buffer is below ``train_start`` goes on training)."""
    return samples_trained > 0 or buffer_positions >= train_start


def workers_may_play(pace: Pace, started: bool, owed_samples: float) -> bool:
    """False when the learner is more than ``max_lag`` positions behind (backpressure);
    always True before training starts."""
    return not started or owed_samples <= pace.max_lag * pace.ratio


def next_training_steps(pace: Pace, owed_samples: float, steps_scheduled: int) -> int:
    """Steps for the next training call (0: wait): at most ``steps_per_call``, never past
    the generation's end, and no more than the learner owes (whole batches)."""
    steps = min(pace.steps_per_call, pace.steps_to_candidate(steps_scheduled))
    if owed_samples < steps * pace.batch:
        steps = max(0, int(owed_samples // pace.batch))
    return steps


def at_candidate(pace: Pace, steps_scheduled: int) -> bool:
    """True when ``steps_scheduled`` ends a generation (the learner owes a candidate)."""
    return steps_scheduled > 0 and pace.steps_to_candidate(steps_scheduled - 1) == 1
