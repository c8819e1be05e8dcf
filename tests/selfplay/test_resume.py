"""Starting and resuming a session without Ray: games written, counted and read back, an
illegal move refused like every other corrupt file, the best pointer repaired from the
state, the recorded digests compared with the rebuilt buffer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rundir.config import RunConfig, network_by_name, preset
from rundir.run_dir import RunDir, RunDirError
from selfplay.game_record import GameRecord, GameRecordError, quantise_policy
from selfplay.ingest import GameIngest
from selfplay.resume import start_session

SIZE = 5


def tiny_config(window: int = 10_000) -> RunConfig:
    """cpu9 on 5x5 with the tiny network, resigning at -0.9 (the resignation tests use it)."""
    config = preset("cpu9")
    return dataclasses.replace(
        config, name="tiny", rules=dataclasses.replace(config.rules, size=SIZE, max_moves=50),
        network=network_by_name("tiny", SIZE),
        search=dataclasses.replace(config.search, resign_threshold=-0.9),
        pipeline=dataclasses.replace(config.pipeline, window=window, train_start=1))


def record(moves: list[int], serial: int = 0) -> GameRecord:
    uniform = np.full(SIZE * SIZE + 1, 1.0)
    return GameRecord.from_policies(SIZE, 7.5, moves, [quantise_policy(uniform)] * len(moves),
                                    winner=1, score=3.5, worker=0, session=7, serial=serial)


def games(n: int) -> list[GameRecord]:
    return [record([i % 25, (i + 1) % 25, 25, 25], serial=i) for i in range(n)]


def fresh_run(tmp_path, n: int) -> tuple[RunDir, list[str]]:
    """A run directory whose first session ingested ``n`` games and wrote its state."""
    run, lines = RunDir(tmp_path / "run"), []
    start = start_session(run, tiny_config(), lines.append)
    ingest = GameIngest(run, start.buffer, 2, "tiny", "tiny", lines.append)
    state = start.state
    for game in games(n):
        state = ingest.ingest(state, game)
    run.write_checkpoint("ckpt-00000000.keras", b"k", b'{"keras_bytes": 1}')
    run.write_state(state.replace(best="ckpt-00000000.keras",
                                  buffer_digest=start.buffer.digest(), elapsed_seconds=42.0))
    run.write_best("ckpt-00000000.keras")
    return run, lines


def test_games_are_written_counted_and_resumed(tmp_path):
    run, _ = fresh_run(tmp_path, 5)
    assert run.count_games() == 5 and sorted(p.name for p in run.sgf_dir.iterdir()) == [
        "000000000.sgf", "000000002.sgf", "000000004.sgf"]
    lines: list[str] = []
    start = start_session(run, tiny_config(), lines.append)
    assert start.resumed and start.state.games == 5 and start.state.positions == 20
    assert len(start.state.sessions) == 2 and start.state.session.games_at_start == 5
    # the first session was never stopped: the second records where training stood
    assert start.state.sessions[0].stopped is None
    assert start.state.session.elapsed_at_start == 42.0
    assert lines == []


def test_an_invalid_game_from_a_worker_is_dropped_before_anything_is_written(tmp_path):
    run, lines = fresh_run(tmp_path, 2)
    start = start_session(run, tiny_config(), lines.append)
    ingest = GameIngest(run, start.buffer, 0, "tiny", "tiny", lines.append)
    state = ingest.ingest(start.state, record([3, 3, 25, 25]))  # point 3 played twice
    assert state == start.state and run.count_games() == 2 and ingest.dropped == 1
    assert "dropped an invalid game: game from worker 0: move 1 (3) is illegal" in lines[-1]


def test_a_game_file_with_an_illegal_move_is_refused_naming_the_file(tmp_path):
    run, _ = fresh_run(tmp_path, 3)
    bad = record([3, 3, 25, 25])
    bad.game_id = 1
    run.game_path(1).write_bytes(bad.to_npz_bytes())
    with pytest.raises(GameRecordError, match=f"{run.game_path(1)}: move 1 \\(3\\) is illegal"):
        start_session(run, tiny_config(), print)


def test_a_best_pointer_behind_the_state_is_repaired_from_the_state(tmp_path):
    run, _ = fresh_run(tmp_path, 1)
    run.write_checkpoint("ckpt-00000002.keras", b"k", b'{"keras_bytes": 1}')
    run.write_state(run.read_state().replace(best="ckpt-00000002.keras"))
    (run.checkpoints / ".best.x.tmp").write_text("half")  # a write killed midway
    lines: list[str] = []
    start_session(run, tiny_config(), lines.append)
    assert run.read_best() == "ckpt-00000002.keras"
    assert any("named 'ckpt-00000000.keras', rewritten to 'ckpt-00000002.keras'" in line
               for line in lines), lines
    assert not (run.checkpoints / ".best.x.tmp").exists()
    run.best_pointer.unlink()  # killed before the first pointer write
    start_session(run, tiny_config(), lines.append)
    assert run.read_best() == "ckpt-00000002.keras"


def test_digests_that_the_rebuilt_buffer_does_not_reproduce_are_named(tmp_path):
    run, _ = fresh_run(tmp_path, 4)
    state = run.read_state()
    lines: list[str] = []
    start_session(run, tiny_config(), lines.append)
    assert not [line for line in lines if "warning" in line]
    run.write_state(state.replace(buffer_digest="0" * 64))
    lines.clear()
    start_session(run, tiny_config(), lines.append)
    assert any(f"warning: {run.state_path}: buffer_digest is 0000000000000000, but the "
               f"buffer rebuilt from the first 4 games on disk has digest" in line
               for line in lines), lines
    lines.clear()  # a changed window changes the buffer: said, and the run goes on
    start = start_session(run, tiny_config(window=5), lines.append)
    assert start.state.games == 4 and any("window changed" in line for line in lines)


def test_a_state_counting_more_games_than_the_disk_holds_is_refused(tmp_path):
    run, _ = fresh_run(tmp_path, 2)
    run.write_state(run.read_state().replace(games=5))
    with pytest.raises(RunDirError, match="000000004.npz: file is missing although state"):
        start_session(run, tiny_config(), print)
