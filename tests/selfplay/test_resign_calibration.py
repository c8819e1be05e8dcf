"""Resignation calibrated on the resign-disabled games: each player's minimum resign value
recorded and stored, the threshold recomputed on synthetic players with a known answer,
kept in the run state, and a changed threshold taking effect in a worker's games."""

import io
import math

import numpy as np
import pytest

from go import RulesConfig
from mcts import ColourEvaluator, SearchConfig
from mcts.resignation import resign_false_positive_rate
from rundir.state import RunState
from selfplay.game_loop import SelfPlayGames
from selfplay.game_record import GameRecord, GameRecordError
from selfplay.resign_calibration import (
    ResignCalibration,
    current_threshold,
    observe,
    player_samples,
)
from selfplay.worker import SelfPlayWorker

RULES = RulesConfig(5, 7.5, 50)


def synthetic_players(n: int, seed: int = 0) -> list[tuple[float, bool]]:
    """Players whose minimum is below -0.8 win 2% of the time, between -0.8 and -0.5 20%,
    above -0.5 60% (exact shares, shuffled)."""
    rng = np.random.default_rng(seed)
    out = []
    for low, high, wins in ((-1.0, -0.8, 0.02), (-0.8, -0.5, 0.20), (-0.5, 1.0, 0.60)):
        values = rng.uniform(low, high, n)
        won = np.arange(n) < round(wins * n)
        out += [(round(float(v), 4), bool(w)) for v, w in zip(values, won, strict=True)]
    rng.shuffle(out)
    return out


def record(min_black: float, min_white: float, winner: int, no_resign: bool = True
           ) -> GameRecord:
    return GameRecord.from_policies(
        5, 7.5, [25, 25], [(np.array([25], np.int16), np.array([1], np.uint16))] * 2,
        winner, score=float(winner) * 2.5, no_resign=no_resign,
        min_value_black=min_black, min_value_white=min_white)


# ---------------------------------------------------------------------- the rule
def test_the_threshold_lands_where_false_positives_reach_the_target():
    """300 players per band. Below -0.8 the false-positive rate is 2%; resigning k more
    players of the 20% band gives (6 + 0.2k) / (300 + k), which reaches 5% at k = 60,
    that is 0.2 of the way into the band: about -0.74; 3% gives k = 18 (-0.78), 8% gives
    k = 150 (-0.65)."""
    players = synthetic_players(300)
    values, won = zip(*players, strict=True)
    for target, expected in ((0.03, -0.782), (0.05, -0.74), (0.08, -0.65)):
        calibration = ResignCalibration(target=target, window=900, min_samples=200)
        threshold = calibration.threshold(tuple(players), current=-0.9)
        assert threshold is not None and abs(threshold - expected) <= 0.03, (target,
                                                                              threshold)
        assert resign_false_positive_rate(values, won, threshold) <= target
        assert resign_false_positive_rate(values, won, threshold + 0.03) > target


def test_no_change_before_enough_samples_below_the_cap_or_without_a_qualifying_threshold():
    players = tuple(synthetic_players(300))
    assert ResignCalibration(min_samples=1000, window=1000).threshold(players[:999], -0.9) \
        is None
    # every player loses: any threshold qualifies, the cap holds it at max_threshold
    losers = tuple((v, False) for v, _ in players)
    assert ResignCalibration(max_threshold=-0.5).threshold(losers, -0.9) == -0.5
    assert ResignCalibration(max_threshold=-0.7).threshold(losers, -0.9) == -0.7
    # the lowest players all won: no threshold keeps false positives at 5%
    winners_low = tuple((v, v < -0.5) for v, _ in players)
    assert ResignCalibration().threshold(winners_low, -0.9) is None
    # a move smaller than min_change is ignored
    found = ResignCalibration(window=900).threshold(players, -0.9)
    assert ResignCalibration(window=900).threshold(players, found + 0.01) is None


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="target must be in"):
        ResignCalibration(target=0.0)
    with pytest.raises(ValueError, match="min_samples <= window"):
        ResignCalibration(min_samples=20, window=10)
    with pytest.raises(ValueError, match="max_threshold"):
        ResignCalibration(max_threshold=-1.5)


# ---------------------------------------------------------------------- in the state
def test_games_feed_a_bounded_window_and_changes_are_recorded_with_the_game_count():
    calibration = ResignCalibration(window=100, min_samples=60)
    state = RunState()
    changes = []
    for _ in range(120):  # black's minimum -0.95 and it always loses; white 0.3 and wins
        state = state.replace(games=state.games + 1)
        state, new = observe(state, record(-0.95, 0.3, -1), calibration, initial=-0.9)
        if new is not None:
            changes.append((state.games, new))
    assert len(state.resign_samples) == 100
    assert state.resign_samples[-1] == (0.3, True) and state.resign_samples[-2] == (-0.95,
                                                                                    False)
    # at 30 games (60 players) every resigned player lost: the cap -0.5 applies at once
    assert changes == [(30, -0.5)] and state.resign_history == ((30, -0.5),)
    assert state.resign_threshold == -0.5 and current_threshold(state, -0.9) == -0.5
    again = RunState.from_json(state.to_json(), "state")
    assert again == state


def test_games_that_may_resign_and_runs_that_never_resign_are_not_sampled():
    calibration = ResignCalibration(window=10, min_samples=2)
    state, new = observe(RunState(), record(math.nan, math.nan, 1, no_resign=False),
                         calibration, initial=-0.9)
    assert new is None and state == RunState()
    state, new = observe(RunState(), record(-0.95, 0.4, -1), calibration, initial=None)
    assert new is None and state == RunState() and current_threshold(state, None) is None
    draw = record(-0.2, 0.1, 0)
    assert player_samples(draw) == [(-0.2, False), (0.1, False)]
    assert current_threshold(RunState(), -0.9) == -0.9


# ---------------------------------------------------------------------- game records
def test_min_values_are_stored_and_old_game_files_without_them_load_as_nan(tmp_path):
    r = record(-0.875, 0.25, -1)
    again = GameRecord.from_npz(r.to_npz_bytes())
    assert again == r and again.min_value_black == -0.875 and again.min_value_white == 0.25
    with np.load(io.BytesIO(r.to_npz_bytes()), allow_pickle=False) as data:
        old = {k: data[k] for k in data.files if not k.startswith("min_value")}
    path = tmp_path / "old.npz"
    np.savez_compressed(path, **old)
    loaded = GameRecord.from_npz(path)
    assert math.isnan(loaded.min_value_black) and math.isnan(loaded.min_value_white)
    assert player_samples(loaded) == []
    with pytest.raises(GameRecordError, match="min_value_white must be NaN or in"):
        record(-0.5, 1.5, 1).to_npz_bytes()


def test_resign_disabled_games_record_each_players_lowest_value():
    """Black always believes it is lost (-0.95 from its side), white that it wins. (No
    pass floor: it would give positions reached by a pass the count's value.)"""
    search = SearchConfig(num_simulations=8, resign_threshold=-0.9,
                          resign_disabled_fraction=0.5, pass_floor=False)
    loop = SelfPlayGames(ColourEvaluator(5, -0.95, 2), RULES, search, 8, seed=1)
    records = loop.play(min_games=20)
    disabled = [r for r in records if r.no_resign]
    others = [r for r in records if not r.no_resign]
    assert disabled and others
    for r in disabled:
        assert -1.0 <= r.min_value_black < -0.9 and 0.9 < r.min_value_white <= 1.0
        assert player_samples(r) == [(round(r.min_value_black, 4), r.winner == 1),
                                     (round(r.min_value_white, 4), r.winner == -1)]
    for r in others:
        assert math.isnan(r.min_value_black) and math.isnan(r.min_value_white)


# ---------------------------------------------------------------------- workers
def test_a_workers_changed_threshold_takes_effect_in_its_games():
    """At -0.99 black (value -0.95) never resigns; after set_resign_threshold(-0.9) the
    games black then plays end by its resignation at its first turn with a move played."""
    search = SearchConfig(num_simulations=8, resign_threshold=-0.99,
                          resign_disabled_fraction=0.0, pass_floor=False)
    worker = SelfPlayWorker([ColourEvaluator(5, -0.95, 2)] * 2, RULES, search, games=4,
                            seed=3)
    before = worker.play(min_games=4).games
    assert before and not any(r.resigned for r in before)
    worker.set_resign_threshold(-0.9)
    assert worker.resign_threshold() == -0.9
    after = worker.play(min_games=8).games
    assert after and all(r.resigned == 1 and r.winner == -1 for r in after)
    assert sum(r.num_positions == 2 for r in after) >= 4  # the games started afresh
    # play() carries the driver's threshold, so a restarted worker gets it on its next call
    fresh = SelfPlayWorker(ColourEvaluator(5, -0.95, 2), RULES, search, games=2, seed=4)
    games = fresh.play(min_games=2, resign_threshold=-0.9).games
    assert fresh.resign_threshold() == -0.9
    assert games and all(r.resigned == 1 and r.num_positions == 2 for r in games)


# ---------------------------------------------------------------------- resume
def test_the_threshold_and_its_samples_survive_a_resume_and_late_games_are_sampled(tmp_path):
    """A session leaves a calibrated threshold in state.json, then two more games reach
    the disk before it is killed: the resume keeps the threshold and samples those two."""
    from rundir.run_dir import RunDir
    from selfplay.ingest import GameIngest
    from selfplay.resume import start_session
    from tests.selfplay.test_resume import games, tiny_config

    config = tiny_config()
    assert config.search.resign_threshold == -0.9
    calibration = ResignCalibration(target=config.search.resign_false_positive_target)
    run = RunDir(tmp_path / "run")
    start = start_session(run, config, print)
    ingest = GameIngest(run, start.buffer, 0, "tiny", "tiny", print)
    state = start.state
    records = games(6)
    for r in records:
        r.no_resign, r.min_value_black, r.min_value_white = True, 0.2, -0.7
    for r in records[:4]:
        state = ingest.ingest(state, r)
        state, _ = observe(state, r, calibration, config.search.resign_threshold)
    state = state.replace(resign_threshold=-0.8, resign_history=((3, -0.8),))
    run.write_state(state)
    assert len(state.resign_samples) == 8
    for r in records[4:]:  # written, never counted in the state
        state = ingest.ingest(state, r)
    resumed = start_session(run, config, print).state
    assert resumed.games == 6 and resumed.resign_threshold == -0.8
    assert resumed.resign_history == ((3, -0.8),)
    assert resumed.resign_samples == (*state.resign_samples, *[(0.2, True), (-0.7, False)] * 2)
    assert current_threshold(resumed, config.search.resign_threshold) == -0.8


# ---------------------------------------------------------------------- the driver
class ScalarLog:
    """Stands in for ``TensorBoardLog``: keeps what the driver writes."""

    def __init__(self) -> None:
        self.written: list[tuple[dict, int]] = []

    def scalars(self, values: dict, step: int) -> None:
        self.written.append((values, step))


def test_the_driver_recalibrates_and_its_next_call_to_a_ray_worker_uses_it(ray_address,
                                                                           tmp_path):
    """Black believes it is behind by 0.7: rarely a resignation at the configured -0.9. One
    resign-disabled game in which black bottomed at -0.95 and lost moves the threshold
    (two samples suffice here) to the cap -0.5, and most of the worker's next games end by
    black resigning (games already under way may have ended otherwise)."""
    import dataclasses
    from types import SimpleNamespace

    import ray

    from rundir.run_dir import RunDir
    from selfplay.driver import Pipeline
    from tests.selfplay.test_resume import tiny_config

    config = tiny_config()
    lines: list[str] = []
    pipeline = Pipeline(config, RunDir(tmp_path / "run"), log=lines.append)
    pipeline.prepare()
    pipeline.resign = ResignCalibration(window=10, min_samples=2)
    pipeline.tb = ScalarLog()
    search = dataclasses.replace(config.search, num_simulations=8,
                                 resign_disabled_fraction=0.0)
    worker = ray.remote(SelfPlayWorker).remote(ColourEvaluator(5, -0.7, 2), config.rules,
                                               search, games=4, seed=5)
    pipeline.crew = SimpleNamespace(workers=[worker])
    try:
        def one_call() -> list[GameRecord]:
            pipeline._call_worker(0)
            ref = next(iter(pipeline.worker_calls))
            games = ray.get(ref, timeout=120).games
            pipeline.worker_calls.clear()
            for r in games:  # ingested as the driver does (written, counted, calibrated)
                before = pipeline.state.games
                pipeline.state = pipeline.ingest.ingest(pipeline.state, r)
                assert pipeline.state.games == before + 1
                pipeline._calibrate_resignation(r)
            return games

        first = one_call()
        # at -0.9 black resigns only where terminal positions in its tree drag its value
        # below -0.9 (late in a game); after the change to -0.5 it resigns at once
        assert first
        assert pipeline.state.resign_threshold is None and pipeline.tb.written == []
        games = pipeline.state.games
        pipeline.state = pipeline.state.replace(games=games + 1)
        pipeline._calibrate_resignation(record(-0.95, 0.3, -1))
        assert pipeline.state.resign_threshold == -0.5
        assert pipeline.state.resign_history == ((games + 1, -0.5),)
        assert pipeline.tb.written == [({"resign/threshold": -0.5}, games + 1)]
        assert any(line.startswith("resign threshold now -0.500") for line in lines), lines
        later: list[GameRecord] = []
        for _ in range(5):  # games under way at the change may end otherwise
            later += one_call()
            if any(r.resigned == 1 and len(r.moves) <= 4 for r in later):
                break
        assert ray.get(worker.resign_threshold.remote()) == -0.5
        # a game started after the change: black resigns at its first chance (move 2),
        # which at -0.9 and a value of -0.7 it cannot
        assert any(r.resigned == 1 and r.winner == -1 and len(r.moves) <= 4 for r in later)
        assert not any(r.resigned == 1 and len(r.moves) <= 4 for r in first)
    finally:
        ray.kill(worker, no_restart=True)
