"""``gate_games = 0`` (AlphaZero's loop): every candidate is promoted as the learner
writes it, no gate match is played, and the workers move on to each new network.

A full ``python -m selfplay.run`` on the real local Ray cluster (5x5, the tiny network,
one worker with two games at a time), stopped with Ctrl-C once a game of a promoted
network is stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from selfplay.game_record import GameRecord
from tests.run_process import interrupt, reaped, wait_for

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--network", "tiny", "--board-size", "5", "--workers", "1", "--games-per-worker",
         "2", "--simulations", "8", "--steps-per-generation", "4", "--batch-size", "16",
         "--window", "600", "--train-start", "60", "--samples-per-position", "1",
         "--status-every", "1", "--seed", "4", "--gate-games", "0", "--no-web"]

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")]


def versions(run: Path) -> list[int]:
    """The network version stamped on each stored game (the best when it started)."""
    return [GameRecord.from_npz(f).best_version for f in sorted((run / "games").rglob("*.npz"))]


def test_without_gates_every_candidate_is_promoted_and_played(ray_address, tmp_path):
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "selfplay.run", "--address", ray_address, "--run-dir",
         str(run), *FLAGS], cwd=ROOT, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with reaped(proc):
        # the learner starts late and catches up at once, so several promotions can come
        # before any game started under them ends: wait for a game of a promoted network
        wait_for(lambda: (run / "games").exists() and max(versions(run), default=0) >= 1,
                 400, "a game of a promoted network", proc)
        out = interrupt(proc)
    assert proc.returncode == 0, out[-6000:]
    state = json.loads((run / "state.json").read_text())
    assert state["sessions"][0]["reason"] == "interrupted"
    gates = state["gates"]
    assert gates and [g["generation"] for g in gates] == list(range(1, len(gates) + 1))
    assert all(g["promoted"] and g["games"] == 0 and g["gated"] is False for g in gates)
    assert state["best_version"] == len(gates) and state["best"] == gates[-1]["candidate"]
    assert (run / "checkpoints" / "best").read_text().strip() == state["best"]
    # each promoted candidate descends from the one before, and its metadata says so
    parent = "ckpt-00000000.keras"
    for g in gates:
        assert g["best"] == parent
        meta = json.loads((run / "checkpoints" / f"{g['candidate']}.json").read_text())
        assert meta["promoted"] and meta["generation"] == g["generation"]
        assert meta["parent"] == parent
        parent = g["candidate"]
    promoted = out.count("promoted without a gate match (gate_games = 0)")
    assert promoted == len(gates), out[-6000:]
    assert " vs best scored " not in out  # no match was played
    assert f"gates: 0 played, {len(gates)} promoted (last: promoted, no match)" in out
    assert max(versions(run)) <= len(gates)
