"""The pipeline's pace as arithmetic (no Ray): what the learner owes, backpressure, and
the size of the next training call."""

from selfplay import pacing

PACE = pacing.Pace(ratio=4.0, max_lag=100, train_start=50, batch=16,
                   steps_per_generation=10, steps_per_call=8)


def test_owed_counts_samples_in_flight_and_goes_negative_when_ahead():
    assert pacing.owed(positions=100, samples_trained=160, samples_in_flight=32,
                       ratio=4.0) == 208
    assert pacing.owed(positions=10, samples_trained=64, samples_in_flight=0,
                       ratio=4.0) == -24


def test_training_starts_at_train_start_and_never_stops_again():
    assert not pacing.training_started(0, 49, 50)
    assert pacing.training_started(0, 50, 50)
    assert pacing.training_started(16, 0, 50)  # a resumed run with a small buffer


def test_the_learner_starts_at_a_quarter_of_train_start_and_ramps_to_its_pace():
    assert pacing.first_step(2000) == 500 and pacing.first_step(2) == 1
    assert pacing.first_step(0) == 0
    assert not pacing.training_started(0, 499, pacing.first_step(2000))
    assert pacing.training_started(0, 500, pacing.first_step(2000))
    # below train_start the samples per position ramp with the positions stored
    assert pacing.owed(500, 0, 0, 2.0, train_start=2000) == 250  # 500 * 2 * 1/4
    assert pacing.owed(1000, 250, 0, 2.0, train_start=2000) == 750  # 1000 * 2 * 1/2 - 250
    assert pacing.owed(2000, 0, 0, 2.0, train_start=2000) == 4000  # the full pace
    assert pacing.owed(5000, 0, 0, 2.0, train_start=2000) == 10000
    ramp = [pacing.owed(n, 0, 0, 2.0, train_start=2000) for n in range(0, 2001, 100)]
    assert ramp == sorted(ramp)  # never owes less as positions arrive


def test_workers_wait_only_when_the_learner_is_more_than_max_lag_behind():
    assert pacing.workers_may_play(PACE, started=False, owed_samples=1e9)
    assert pacing.workers_may_play(PACE, started=True, owed_samples=400)  # 100 positions
    assert not pacing.workers_may_play(PACE, started=True, owed_samples=401)


def test_training_calls_stop_at_each_generation_and_at_what_is_owed():
    assert pacing.next_training_steps(PACE, owed_samples=1e6, steps_scheduled=0) == 8
    assert pacing.next_training_steps(PACE, owed_samples=1e6, steps_scheduled=8) == 2
    assert pacing.next_training_steps(PACE, owed_samples=1e6, steps_scheduled=10) == 8
    assert pacing.next_training_steps(PACE, owed_samples=3 * 16 + 15,
                                      steps_scheduled=0) == 3
    assert pacing.next_training_steps(PACE, owed_samples=15, steps_scheduled=0) == 0
    assert pacing.next_training_steps(PACE, owed_samples=-40, steps_scheduled=0) == 0
    assert [s for s in range(31) if pacing.at_candidate(PACE, s)] == [10, 20, 30]


def test_a_paced_session_trains_samples_per_position_and_hands_over_candidates():
    """Simulate: 20 positions arrive per tick; the learner is sent what it owes at once."""
    positions = trained = scheduled = 0
    candidates = []
    for _ in range(50):
        positions += 20
        while (steps := pacing.next_training_steps(
                PACE, pacing.owed(positions, trained, 0, PACE.ratio), scheduled)) > 0:
            trained += steps * PACE.batch
            scheduled += steps
            if pacing.at_candidate(PACE, scheduled):
                candidates.append(scheduled)
    assert positions * PACE.ratio - PACE.batch < trained <= positions * PACE.ratio
    assert candidates == list(range(10, scheduled + 1, 10))


def test_a_shorter_first_generation_then_the_usual_ones():
    pace = pacing.Pace(ratio=4.0, max_lag=100, train_start=50, batch=16,
                       steps_per_generation=10, steps_per_call=8, first_generation=4)
    assert [s for s in range(31) if pacing.at_candidate(pace, s)] == [4, 14, 24]
    assert pacing.next_training_steps(pace, owed_samples=1e6, steps_scheduled=0) == 4
    assert pacing.next_training_steps(pace, owed_samples=1e6, steps_scheduled=4) == 8
    assert pacing.next_training_steps(pace, owed_samples=1e6, steps_scheduled=12) == 2
    assert [pace.steps_to_candidate(s) for s in (0, 3, 4, 13, 14)] == [4, 1, 10, 1, 10]
    # a first generation longer than the others counts as a usual one
    longer = pacing.Pace(ratio=4.0, max_lag=100, train_start=50, batch=16,
                         steps_per_generation=10, steps_per_call=8, first_generation=15)
    assert [s for s in range(31) if pacing.at_candidate(longer, s)] == [10, 20, 30]
    assert [s for s in range(31) if pacing.at_candidate(PACE, s)] == [10, 20, 30]
