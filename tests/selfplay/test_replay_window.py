"""The growing replay window: known sizes, floor and cap, a buffer that grows with it, and
a resumed run rebuilding the grown buffer."""

from __future__ import annotations

import dataclasses

import pytest

from go.errors import ZerogoError
from rundir.config import preset
from rundir.run_dir import RunDir
from rundir.stored_config import read_stored_config
from selfplay import replay_window
from selfplay.ingest import GameIngest
from selfplay.replay_buffer import ReplayBuffer
from selfplay.replay_window import ReplayWindow, ReplayWindowError
from selfplay.resume import start_session
from tests.selfplay.test_resume import SIZE, games, tiny_config


def test_window_sizes_follow_the_power_law_with_known_values():
    c = 1000
    w = ReplayWindow(floor=c, cap=10**9)
    assert w.size(0) == c and w.size(c - 1) == c and w.size(c) == c
    # N = 16c: (16) ** 0.75 = 8, so c * (1 + 0.4 * 7 / 0.75) = 4733.33...
    assert w.size(16 * c) == 4733
    # N = 81c: 81 ** 0.75 = 27 -> c * (1 + 0.4 * 26 / 0.75) = 14866.66...
    assert w.size(81 * c) == 14866
    sizes = [w.size(n) for n in range(0, 200 * c, 997)]
    assert sizes == sorted(sizes)  # never shrinks


def test_the_cap_and_a_fixed_window():
    w = ReplayWindow(floor=1000, cap=3000)
    assert w.size(16_000) == 3000 and w.size(10**15) == 3000
    assert w.size(4000) < 3000
    fixed = ReplayWindow.fixed(500)
    assert not fixed.grows and fixed.size(10**9) == 500
    assert ReplayWindow(1000, 10**6, beta=0.0).size(10**8) == 1000


def test_the_window_grows_by_at_most_the_positions_added():
    w = ReplayWindow(floor=50, cap=10**9, alpha=1.0, beta=1.0)  # steepest allowed
    for n in range(0, 5000, 7):
        for g in (1, 3, 40):
            assert w.size(n + g) - w.size(n) <= g


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"floor": 0, "cap": 5}, "floor .* got 0"),
    ({"floor": 10, "cap": 9}, "cap .* got 9"),
    ({"floor": 10, "cap": 20, "alpha": 0.0}, "alpha .* got 0.0"),
    ({"floor": 10, "cap": 20, "alpha": 1.5}, "alpha .* got 1.5"),
    ({"floor": 10, "cap": 20, "beta": 1.01}, "beta .* got 1.01"),
])
def test_bad_windows_are_refused(kwargs, text):
    with pytest.raises(ReplayWindowError, match=text) as error:
        ReplayWindow(**kwargs)
    assert isinstance(error.value, ZerogoError) and isinstance(error.value, ValueError)
    with pytest.raises(ReplayWindowError, match="total positions"):
        ReplayWindow(10, 20).size(-1)


def test_presets_and_old_config_files(tmp_path):
    cpu9, agz19 = preset("cpu9").pipeline, preset("agz19").pipeline
    assert (cpu9.window, cpu9.window_max, cpu9.samples_per_position) == (50_000, 500_000, 2.0)
    assert (agz19.window, agz19.window_max, agz19.samples_per_position) == (
        250_000, 20_000_000, 1.0)
    assert replay_window.from_pipeline(agz19).size(10**12) == 20_000_000
    # A config written before the window grew has no window_max: a fixed window.
    old = dataclasses.replace(cpu9, window_max=None)
    assert not replay_window.from_pipeline(old).grows
    run = RunDir(tmp_path / "run")
    run.create()
    text = preset("cpu9").to_toml()
    run.config_path.write_text("\n".join(
        line for line in text.splitlines()
        if not line.startswith(("window_max", "window_alpha", "window_beta"))))
    loaded = read_stored_config(run)
    assert loaded.pipeline.window == 50_000 and loaded.pipeline.window_max is None
    with pytest.raises(ValueError, match=r"window_max \(10\) must be at least"):
        dataclasses.replace(cpu9, window_max=10)


def test_the_buffer_grows_with_the_run_and_rebuilds_the_same():
    records = games(60)  # 4 positions each
    rule = ReplayWindow(floor=8, cap=10**6)
    live = ReplayBuffer(SIZE, 2, rule, seed=0)
    fixed = ReplayBuffer(SIZE, 2, 8, seed=0)
    for i, record in enumerate(records):
        record.game_id = i
        live.add(record)
        fixed.add(record)
        total = 4 * (i + 1)
        assert live.total_positions == total and live.window == rule.size(total)
        assert len(live) >= min(live.window, total) > len(live) - 4
        rebuilt = ReplayBuffer.rebuild(reversed(records[: i + 1]), SIZE, 2, rule,
                                       total_positions=total)
        assert rebuilt.game_ids() == live.game_ids() and rebuilt.digest() == live.digest()
    # 8 * (1 + 0.4 * (30 ** 0.75 - 1) / 0.75) = 58.4: fifteen 4-position games.
    assert live.window == rule.size(240) == 58 and len(live) == 60
    assert fixed.window == 8 and len(fixed) == 8
    # Rebuilding with only the newest games read still knows the run's total.
    part = ReplayBuffer.rebuild(reversed(records[30:]), SIZE, 2, rule, total_positions=240)
    assert part.digest() == live.digest()
    with pytest.raises(ValueError, match="needs the run's total_positions"):
        ReplayBuffer.rebuild(reversed(records), SIZE, 2, rule)


def test_a_resumed_run_rebuilds_the_grown_window(tmp_path):
    config = tiny_config(window=8)
    config = dataclasses.replace(config, pipeline=dataclasses.replace(
        config.pipeline, window_max=10_000))
    run, lines = RunDir(tmp_path / "run"), []
    start = start_session(run, config, lines.append)
    assert start.buffer.window == 8
    ingest = GameIngest(run, start.buffer, 0, "tiny", "tiny", lines.append)
    state = start.state
    for game in games(60):
        state = ingest.ingest(state, game)
    live = start.buffer
    assert live.window == 58 and len(live) == 60
    run.write_checkpoint("ckpt-00000000.keras", b"k", b'{"keras_bytes": 1}')
    run.write_state(state.replace(best="ckpt-00000000.keras", buffer_digest=live.digest()))
    run.write_best("ckpt-00000000.keras")
    # Ten more games on disk that the state never counted (a kill before the write).
    for game in games(70)[60:]:
        game.game_id = state.games
        run.write_game(game.game_id, game.to_npz_bytes())
        state = state.replace(games=state.games + 1)
        live.add(game)
    lines.clear()
    resumed = start_session(run, config, lines.append)
    assert not [line for line in lines if "warning" in line], lines
    assert resumed.state.positions == 280
    assert resumed.buffer.window == replay_window.from_pipeline(config.pipeline).size(280)
    assert resumed.buffer.window == 65 and resumed.buffer.digest() == live.digest()
