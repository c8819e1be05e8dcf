"""The summary a run prints when it stops: its numbers, and commands that work: the GTP
command plays the run's best network (run for real on a tiny run directory), the ladder
command parses with the ladder's own parser."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from arena.ladder import build_parser as ladder_parser
from rundir.state import GateRecord, RunState, Session
from selfplay.run_summary import ladder_command, play_command, summary_lines

ROOT = Path(__file__).resolve().parents[2]


def stopped_state() -> RunState:
    gate = GateRecord(generation=1, candidate="ckpt-00000200.keras", best="ckpt-00000000.keras",
                      promoted=True, games=24, wins=19, losses=5, draws=0)
    now = time.time()
    return RunState(games=321, positions=25678, learner_steps=200, generation=1,
                    best="ckpt-00000200.keras", best_version=1, gate_elo_sum=88.0, gates=(gate,),
                    sessions=(Session(started=now - 725, stopped=now, reason="interrupted"),))


def command_of(lines: list[str], label: str) -> list[str]:
    line = next(line for line in lines if line.startswith(label))
    return shlex.split(line[len(label):])


def test_the_summary_says_what_the_run_did_and_what_comes_next(tmp_path: Path):
    run = tmp_path / "my run"
    lines = summary_lines(stopped_state(), run)
    assert lines[0] == ("summary: 12m05s this session (stopped: interrupted); generation 1, "
                        "best ckpt-00000200.keras (gate Elo sum +88), 321 games, 25,678 positions "
                        "stored, 200 learner steps")
    assert lines[1] == "gates: 1 played, 1 promoted (last: 19-5 promoted)"
    assert command_of(lines, "play the best network:") == play_command(run)
    assert command_of(lines, "rate the run:") == ladder_command(run)
    assert command_of(lines, "resume:") == ["python", "-m", "selfplay.run", "--run-dir",
                                            str(run)]
    assert command_of(lines, "watch the curves:") == ["tensorboard", "--logdir",
                                                      str(run / "logs")]
    fresh = summary_lines(RunState(), run)  # nothing to play yet: no play or rate command
    assert not any(line.startswith(("play", "rate")) for line in fresh)


def test_the_ladder_command_parses_with_the_ladders_parser(tmp_path: Path):
    command = command_of(summary_lines(stopped_state(), tmp_path / "my run"), "rate the run:")
    assert command[:3] == ["python", "-m", "arena.ladder"]
    args = ladder_parser().parse_args(command[3:])
    assert args.run_dir == tmp_path / "my run" and args.games == 40 and args.playouts == 64


def test_the_play_command_starts_a_gtp_engine_on_the_runs_best(tmp_path: Path):
    import keras

    from network import NetworkConfig, build_model, save_checkpoint

    run = tmp_path / "tiny run"
    keras.utils.set_random_seed(3)
    save_checkpoint(run / "checkpoints" / "ckpt-00000200.keras",
                    build_model(NetworkConfig.tiny(5)), {"generation": 1})
    (run / "checkpoints" / "best").write_text("ckpt-00000200.keras\n")
    command = command_of(summary_lines(stopped_state(), run), "play the best network:")
    assert command[:3] == ["python", "-m", "gtp"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": "-1",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, *command[1:], "--cpu", "--threads", "1"],
                          input="name\nboardsize 5\ngenmove b\nquit\n", capture_output=True,
                          text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answers = [a.strip() for a in done.stdout.split("\n\n") if a.strip()]
    assert answers[0].startswith("= ") and answers[1] == "="  # name, boardsize
    assert answers[2].startswith("= ") and answers[3] == "="  # a move, then quit
