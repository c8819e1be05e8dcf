"""The run's live view: the panel drawn from a prepared ``RunView``, the status line with
its counters named apart, and ``RunOutput`` choosing the panel on a terminal (a real
pseudo-terminal) and plain lines elsewhere."""

from __future__ import annotations

import dataclasses
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from arena.sprt import Sprt
from rundir.state import GateRecord, RunState
from selfplay.panel import panel_text
from selfplay.status import GateProgress, RunView, next_candidate_seconds, status_line

ROOT = Path(__file__).resolve().parents[2]


def sample_view() -> RunView:
    """A run in its fourth gate: three gates played (the second rejected)."""
    gates = tuple(GateRecord(generation=i, candidate=f"ckpt-{200 * i:08d}.keras",
                             best="ckpt-00000000.keras", promoted=i != 2, games=40,
                             wins=15 if i == 2 else 28, losses=25 if i == 2 else 12, draws=0)
                  for i in (1, 2, 3))
    state = RunState(games=1234, positions=98765, learner_steps=612, samples_trained=78336,
                     generation=3, best="ckpt-00000600.keras", best_version=2, gate_elo_sum=187.0,
                     gates=gates)
    sprt = Sprt()
    gate = GateProgress("ckpt-00000800.keras", "ckpt-00000600.keras", 83.0, 400, 14, 9, 4, 1,
                        sprt.llr(9.5, 14), sprt.lower, sprt.upper)
    return RunView(state=state, games_in_progress=61, moves_in_progress=2467,
                   rates={"moves_per_s": 20.4, "positions_per_s": 18.9, "games_per_s": 0.21},
                   buffer_positions=50100, window=51234, first_step=500, train_start=2000,
                   steps_to_candidate=188,
                   loss={"total": 2.731, "policy": 2.104, "value": 0.612},
                   next_candidate_s=251.0, gate=gate, resign_threshold=-0.83,
                   elapsed_s=1834.0, run_dir="runs/cpu9-b4c32-9x9")


def fresh_view() -> RunView:
    """The first minute: no game stored yet, five games playing."""
    return dataclasses.replace(sample_view(), state=RunState(), gate=None, loss={},
                               buffer_positions=312, games_in_progress=5,
                               moves_in_progress=130, next_candidate_s=None)


def test_the_panel_shows_every_value_of_the_view():
    text = panel_text(sample_view())
    for shown in ("cpu9-b4c32-9x9 · 30m34s", "generation 3", "best ckpt-00000600.keras (v2)",
                  "gate Elo sum +187", "1,234 games done", "61 playing (2,467 moves in play)",
                  "98,765 positions stored", "20.4 moves/s", "18.9 positions stored/s",
                  "50,100 positions, window 51,234", "step 612", "loss 2.731",
                  "next candidate in ~4m11s (188 steps)", "gate 4",
                  "ckpt-00000800.keras vs ckpt-00000600.keras", "14/400 games, score 9.5 (9-4-1)",
                  "[-2.94, +2.94]", "3: 28-12 promoted · 2: 15-25 rejected · 1: 28-12 promoted",
                  "below -0.83"):
        assert shown in text, (shown, text)
    assert f"LLR {Sprt().llr(9.5, 14):+.2f}" in text


def test_before_training_the_bar_fills_up_to_the_learners_start():
    text = panel_text(fresh_view())
    assert "312 / 500 positions to the learner's start" in text
    assert "waits for 500 positions (full pace at 2,000)" in text
    assert "0 games done · 5 playing (130 moves in play) · 0 positions stored" in text
    # no gate in progress, none played (the network row names the gate Elo sum only)
    assert "gate" not in text.replace("gate Elo sum", "")


def test_the_status_line_names_moves_in_play_and_positions_stored_apart():
    line = status_line(fresh_view())
    assert line.startswith("gen 0 | best v0 gate Elo sum +0 | games 0 done, 5 playing "
                           "(130 moves) | positions stored 0 | 20.4 moves/s | buffer "
                           "312/500 to the learner's start | steps 0 loss -")
    line = status_line(sample_view())
    assert "buffer 50100 of 51234" in line and "gate 4 playing 9.5/14" in line
    assert "last gate 28-12 promoted" in line and line.endswith("resign < -0.83")


def test_the_next_candidate_comes_when_enough_positions_are_stored():
    state = RunState(positions=1000, learner_steps=150, samples_trained=150 * 128)
    # 50 steps of 128 samples at 2 samples per stored position: 3,200 positions more
    # than 150 * 128 / 2 = 9,600, i.e. 12,800 - 1,000 = 11,800 positions at 100/s.
    assert next_candidate_seconds(state, 50, 128, 2.0, 100.0) == 118.0
    assert next_candidate_seconds(state, 50, 128, 2.0, 0.0) is None


SHOW = """
import sys
sys.path.insert(0, {tests!r})
from selfplay.run_output import RunOutput
from test_panel import fresh_view, sample_view
with RunOutput(plain={plain}) as out:
    out.log("starting")
    out.status(fresh_view())
    out.log("a run message")
    out.status(sample_view())
    out.end_panel()
    out.log("summary")
"""


def show(plain: bool, tty: bool) -> str:
    """What the script above writes to stdout, through a pseudo-terminal or a pipe."""
    code = SHOW.format(tests=str(Path(__file__).parent), plain=plain)
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", ""), "COLUMNS": "120",
           "TERM": "xterm"}
    if not tty:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=terminal, stderr=terminal,
                            env=env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the script ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_panel_is_redrawn_in_place_with_messages_above():
    out = show(plain=False, tty=True)
    assert "╭─ zerogo" in out and "312 / 500 positions to the learner's start" in out
    assert "14/400 games" in out
    assert "\x1b[1A" in out or "\x1b[A" in out  # the cursor goes up: redrawn in place
    assert out.index("starting") < out.index("a run message") < out.index("summary")
    assert "gen 0 | best v0" not in out  # no status lines on a terminal


def test_elsewhere_and_with_plain_a_status_line_per_view():
    for out in (show(plain=False, tty=False), show(plain=True, tty=True)):
        lines = re.split(r"[\r\n]+", out.replace("\x1b[K", ""))  # a terminal: rewritten
        status = [line for line in lines if line.startswith("gen ")]
        assert len(status) == 2 and "╭" not in out
        assert status[0].startswith("gen 0 | best v0 gate Elo sum +0 | games 0 done, 5 playing")
        assert status[1].startswith("gen 3 | best v2 gate Elo sum +187 | games 1234 done")


def test_tensorboard_reads_the_runs_scalars(tmp_path: Path):
    """What the run writes to ``logs/`` is what TensorBoard's scalars dashboard reads
    (TensorBoard comes with the install)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    from selfplay.status import TensorBoardLog

    log = TensorBoardLog(tmp_path)
    log.scalars({"loss/total": 2.5, "selfplay/moves_per_s": 20.0, "skipped": None}, step=3)
    log.scalars({"loss/total": 2.25}, step=4)
    log.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    events.Reload()
    assert set(events.Tags()["tensors"]) == {"loss/total", "selfplay/moves_per_s"}
    assert events.SummaryMetadata("loss/total").plugin_data.plugin_name == "scalars"
    values = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
              for e in events.Tensors("loss/total")]
    assert values == [(3, 2.5), (4, 2.25)]
