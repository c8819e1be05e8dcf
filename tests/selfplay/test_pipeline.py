"""Full runs of ``python -m selfplay.run`` on a real local Ray cluster, tiny board and net.

One run plays three generations while a worker, the learner and the inference server are
killed; a copy of its directory is then resumed and stopped with Ctrl-C (SIGINT). Bad
flags and broken run directories fail at once with messages that name the culprit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rundir.config import preset
from selfplay.game_record import GameRecord
from selfplay.replay_buffer import ReplayBuffer
from selfplay.replay_window import ReplayWindow
from selfplay.resign_calibration import player_samples
from selfplay.run import main
from tests.run_process import interrupt, reaped, wait_for

ROOT = Path(__file__).resolve().parents[2]
NAME = "cpu9-b2c16-5x5"  # the default name of the tiny run below
TINY = ["--network", "tiny", "--board-size", "5", "--workers", "2", "--games-per-worker", "4",
        "--simulations", "8", "--gate-simulations", "8", "--steps-per-generation", "4",
        "--gate-games", "4",
        "--gate-threshold", "0", "--no-gate-sprt", "--batch-size", "16", "--window", "600",
        "--train-start", "150", "--samples-per-position", "1", "--sgf-every", "3",
        "--status-every", "1", "--seed", "1", "--resign-threshold", "-0.9"]

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")]


def start(address: str, run_dir: Path, *flags: str) -> subprocess.Popen:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "selfplay.run", "--address", address, "--run-dir",
         str(run_dir), *TINY, *flags],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def game_files(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "games").rglob("*.npz"))


def worker_sessions(run_dir: Path, worker: int) -> int:
    """How many processes of ``worker`` (its first and each restart) delivered a game."""
    return len({r.session for r in map(GameRecord.from_npz, game_files(run_dir))
                if r.worker == worker})


def disk_buffer(run_dir: Path, window: int = 600) -> ReplayBuffer:
    """The buffer the run's games imply: floor ``window``, cpu9's window cap."""
    records = [GameRecord.from_npz(f) for f in game_files(run_dir)]
    rule = ReplayWindow(floor=window, cap=preset("cpu9").pipeline.window_max)
    return ReplayBuffer.rebuild(reversed(records), 5, 2, rule,
                                total_positions=sum(r.num_positions for r in records))


@pytest.fixture(scope="module")
def first_run(ray_address, tmp_path_factory):
    """Three generations; a worker, then the learner, then the inference server are killed
    with SIGKILL while the run goes on."""
    import ray

    run_dir = tmp_path_factory.mktemp("pipeline") / "run"
    proc = start(ray_address, run_dir, "--generations", "3")
    with reaped(proc):
        wait_for(lambda: len(game_files(run_dir)) >= 2, 240, "2 finished games", proc)
        workers = [ray.get_actor(f"{NAME}:worker-{i}", namespace="zerogo") for i in (0, 1)]
        imported = ray.get(workers[1].imported.remote(["tensorflow", "keras", "jax"]))
        second = subprocess.run(  # a second run of the same directory is refused
            [sys.executable, "-m", "selfplay.run", "--address", ray_address, "--run-dir",
             str(run_dir), *TINY], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr[-3000:]
        assert (f"error: {run_dir} is in use by another run (process {proc.pid} on host "
                in second.stderr), second.stderr[-3000:]
        # Worker 0 is killed once it has delivered a game, and the learner and the server
        # it plays through only after its restarted process has delivered one too: killing
        # the server first can stall the new process until the run ends (it did once on a
        # loaded machine), and then nothing would show that a restarted worker plays on.
        wait_for(lambda: worker_sessions(run_dir, 0) >= 1, 240, "a game of worker 0", proc)
        os.kill(ray.get(workers[0].pid.remote()), signal.SIGKILL)
        killed_at = len(game_files(run_dir))
        wait_for(lambda: worker_sessions(run_dir, 0) >= 2, 240,
                 "a game of worker 0's restarted process", proc)
        wait_for(lambda: (run_dir / "checkpoints" / "ckpt-00000004.keras.json").exists(), 240,
                 "the first candidate", proc)
        learner = ray.get_actor(f"{NAME}:learner", namespace="zerogo")
        os.kill(ray.get(learner.pid.remote()), signal.SIGKILL)
        server = ray.get_actor(f"{NAME}:inference-0", namespace="zerogo")
        os.kill(ray.get(server.pid.remote()), signal.SIGKILL)
        out, _ = proc.communicate(timeout=400)
    return run_dir, proc.returncode, out, imported, killed_at


def test_workers_hold_no_tensorflow(first_run):
    _, _, _, imported, _ = first_run
    assert imported == {"tensorflow": False, "keras": False, "jax": False}


def test_a_full_run_leaves_every_artefact(first_run):
    import tensorflow as tf

    from go import sgf
    from network import load_checkpoint

    run_dir, code, out, _, _ = first_run
    assert code == 0, out[-6000:]
    state = json.loads((run_dir / "state.json").read_text())
    assert state["generation"] == 3 and len(state["gates"]) == 3
    assert state["sessions"][0]["reason"] == "3 generations"
    assert state["best_version"] >= 1  # threshold 0: every candidate is promoted
    for gate in state["gates"]:
        assert gate["games"] == 4 and gate["wins"] + gate["losses"] + gate["draws"] == 4
        # played through an inference server, its cost measured against a generation
        assert gate["evaluations"] > 0 and gate["gate_cost_share"] > 0
        assert gate["resign_threshold"] == -0.9  # the threshold in force (not calibrated)
        meta = json.loads((run_dir / "checkpoints" / f"{gate['candidate']}.json").read_text())
        assert meta["gate"]["games"] == 4 and meta["promoted"] == gate["promoted"]
    best = (run_dir / "checkpoints" / "best").read_text().strip()
    assert best == state["gates"][-1]["candidate"] == state["best"]
    model, meta = load_checkpoint(run_dir / "checkpoints" / best, expect_board_size=5)
    assert meta["promoted"] and meta["training_steps"] >= 4
    assert state["learner_checkpoint"] == f"learner-{state['learner_steps']:08d}.keras"
    learner, learner_meta = load_checkpoint(run_dir / "checkpoints" /
                                            state["learner_checkpoint"])
    assert learner_meta["training_steps"] == state["learner_steps"] >= 8
    assert (run_dir / "config.toml").read_text().count("[pipeline]") == 1

    files = game_files(run_dir)
    assert [int(f.stem) for f in files] == list(range(state["games"]))
    records = [GameRecord.from_npz(f) for f in files]
    assert sum(r.num_positions for r in records) == state["positions"]
    # every resign-disabled game fed the resign calibration, both players, in game order
    samples = [list(p) for r in records for p in player_samples(r)]
    assert any(r.no_resign for r in records) and samples
    assert state["resign_samples"] == samples[-1000:]
    sgfs = sorted((run_dir / "sgf").glob("*.sgf"))
    assert [int(f.stem) for f in sgfs] == list(range(0, state["games"], 3))
    for f in sgfs[:3]:
        game = sgf.load(f)
        assert game.moves == records[int(f.stem)].moves.tolist() and game.size == 5

    tags = set()
    for events in (run_dir / "logs").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            tags.update(v.tag for v in event.summary.value)
    assert {"loss/total", "loss/value_mse", "train/policy_entropy", "selfplay/games_per_s",
            "selfplay/positions_per_s", "gate/win_rate", "gate/elo", "elo/gate_elo_sum",
            "gate/cost_share",
            "buffer/fill", "buffer/window", "loss/heldout_value_mse",
            "loss/heldout_policy", "resign/threshold"} <= tags, tags
    assert "generation 3" in out and "gate 3:" in out and "| buffer" in out
    assert "gate_cost_share" in out and "gate Elo sum" in out
    assert "| resign < -0.90" in out
    # the precision setting in the placement table, each role's measured choice recorded
    assert "precision: auto (measured by each inference server and the learner" in out
    chosen = state["sessions"][0]["precision"]
    # two CPU inference servers on the fixture's 4-CPU cluster (selfplay.placement)
    assert set(chosen) == {"learner", "inference-0", "inference-1"}, chosen
    assert all(c["precision"] in ("float32", "bfloat16") and not c["forced"]
               for c in chosen.values()), chosen


def test_killed_actors_come_back_and_no_finished_game_is_lost_or_duplicated(first_run):
    run_dir, code, out, _, killed_at = first_run
    assert code == 0 and "worker 0 died" in out, out[-6000:]
    assert "learner died" in out and "inference server 0 serves version -1" in out
    records = [GameRecord.from_npz(f) for f in game_files(run_dir)]
    by_session: dict[int, list[int]] = {}
    for r in records:
        by_session.setdefault(r.session, []).append(r.serial)
    # each worker process delivered its games 0, 1, 2, ... once each, in order
    for serials in by_session.values():
        assert serials == list(range(len(serials))), serials
    workers = {r.session: r.worker for r in records}
    assert sorted(workers.values()).count(0) >= 2, "worker 0's restarted process played on"
    assert len(records) > killed_at


def test_stop_with_ctrl_c_and_resume_continue_the_run(first_run, ray_address, tmp_path):
    run_dir, code, out, _, _ = first_run
    assert code == 0, out[-6000:]
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    before = json.loads((copy / "state.json").read_text())
    digest = disk_buffer(copy).digest()
    assert digest == before["buffer_digest"] == before["sessions"][-1]["stop_digest"]
    old_bytes = [f.read_bytes() for f in game_files(copy)]

    proc = start(ray_address, copy, "--generations", "50")
    with reaped(proc):
        wait_for(lambda: len(game_files(copy)) >= before["games"] + 3, 240,
                 "3 more games", proc)
        out2 = interrupt(proc)
    assert proc.returncode == 0, out2[-6000:]
    assert "resuming run" in out2 and "stopped (interrupted)" in out2
    after = json.loads((copy / "state.json").read_text())
    resumed = after["sessions"][-1]
    assert len(after["sessions"]) == 2 and resumed["resumed"]
    assert resumed["reason"] == "interrupted"
    assert resumed["resume_digest"] == digest  # the rebuilt buffer equals the stopped one
    assert resumed["games_at_start"] == before["games"]
    assert after["games"] >= before["games"] + 3
    assert after["generation"] >= before["generation"]
    assert after["learner_steps"] >= before["learner_steps"]
    assert after["samples_trained"] >= before["samples_trained"]
    assert after["learner_checkpoint"] == f"learner-{after['learner_steps']:08d}.keras"
    assert sorted(p.name for p in (copy / "checkpoints").glob("learner-*")) == [
        after["learner_checkpoint"], after["learner_checkpoint"] + ".json"]  # older: gone
    meta = json.loads((copy / "checkpoints" / f"{after['learner_checkpoint']}.json"
                       ).read_text())
    assert meta["training_steps"] == after["learner_steps"]
    files = game_files(copy)
    assert [int(f.stem) for f in files] == list(range(after["games"]))
    assert [f.read_bytes() for f in files[: before["games"]]] == old_bytes
    assert after["buffer_digest"] == resumed["stop_digest"] == disk_buffer(copy).digest()


def test_gpus_asked_for_where_none_exist_stop_at_once(ray_address, tmp_path, capsys):
    code = main(["--address", ray_address, "--run-dir", str(tmp_path / "gpu"), *TINY,
                 "--gpus-per-inference", "1"])
    assert code == 2
    assert "gpus_per_inference=1 asks for GPUs but the cluster has none" in \
        capsys.readouterr().err


def test_a_corrupt_run_directory_is_refused_naming_the_file(first_run, tmp_path, capsys):
    run_dir = first_run[0]
    broken_state = tmp_path / "state"
    shutil.copytree(run_dir, broken_state)
    text = (broken_state / "state.json").read_text()
    (broken_state / "state.json").write_text(text[: len(text) // 2])
    assert main(["--run-dir", str(broken_state), *TINY]) == 2
    assert f"{broken_state / 'state.json'}: not valid JSON" in capsys.readouterr().err

    broken_game = tmp_path / "game"
    shutil.copytree(run_dir, broken_game)
    last = game_files(broken_game)[-1]
    last.write_bytes(last.read_bytes()[:100])
    assert main(["--run-dir", str(broken_game), *TINY]) == 2
    assert f"{last}: not a readable .npz game file" in capsys.readouterr().err

    broken_best = tmp_path / "best"
    shutil.copytree(run_dir, broken_best)
    best = broken_best / "checkpoints" / (broken_best / "checkpoints" / "best").read_text(
        ).strip()
    best.write_bytes(best.read_bytes()[:1000])
    assert main(["--run-dir", str(broken_best), *TINY]) == 2
    assert f"{best}: 1000 bytes, its metadata records" in capsys.readouterr().err

    other_board = tmp_path / "board"
    shutil.copytree(run_dir, other_board)
    with pytest.raises(SystemExit):
        main(["--run-dir", str(other_board), *TINY[:2], "--board-size", "7"])
    assert "cannot change when resuming: rules.size 5 -> 7" in capsys.readouterr().err
    assert np.array_equal(  # nothing was touched by the refused attempts
        GameRecord.from_npz(game_files(other_board)[0]).moves,
        GameRecord.from_npz(game_files(run_dir)[0]).moves)


def test_games_written_after_the_last_state_write_are_recovered(first_run, tmp_path):
    """What a kill -9 leaves: game files newer than state.json. Resuming counts them."""
    from rundir.run_dir import RunDir
    from rundir.stored_config import read_stored_config
    from selfplay.driver import Pipeline

    copy = tmp_path / "killed"
    shutil.copytree(first_run[0], copy)
    state = json.loads((copy / "state.json").read_text())
    records = [GameRecord.from_npz(f) for f in game_files(copy)]
    lagging = dict(state, games=state["games"] - 3,
                   positions=state["positions"] - sum(r.num_positions for r in records[-3:]))
    (copy / "state.json").write_text(json.dumps(lagging))
    run_dir = RunDir(copy)
    pipeline = Pipeline(read_stored_config(run_dir), run_dir, log=lambda line: None)
    pipeline.prepare()
    assert pipeline.state["games"] == state["games"]
    assert pipeline.state["positions"] == state["positions"]
    assert pipeline.buffer.digest() == state["buffer_digest"]
