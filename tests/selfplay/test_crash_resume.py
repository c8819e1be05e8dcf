"""Kill -9 of the driver at every kind of write, then restart: every start resumes, no
finished game is lost or counted twice, and state.json never counts more games than are
on disk.

One run directory goes through a chain of sessions on a real local Ray cluster (5x5, the
tiny network, one worker). Each session but the last is killed (``os._exit(9)`` from the
atomic writer's crash hook, see ``crash_driver.py``) at one write step: the initial
checkpoint, ``state.json`` before the ``best`` pointer follows it (on a fresh run and after a
promotion), between a candidate's ``.keras`` and its ``.json``, after the gate's metadata
update, between the learner's ``.keras`` and ``.json`` at a stop; and one periodic write
(a game, an SGF file or the state), drawn at random with its occurrence (the seed is in
the failure message). Each session costs a Ray driver start and its actors' start, so
the chain is kept to these seven kills.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from rundir.run_dir import RunDir
from selfplay.game_record import GameRecord

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--network", "tiny", "--board-size", "5", "--workers", "1", "--games-per-worker",
         "2", "--simulations", "4", "--gate-simulations", "4", "--gate-games", "2",
         "--gate-threshold", "0",
         "--no-gate-sprt", "--steps-per-generation", "2", "--batch-size", "8", "--window",
         "300", "--train-start", "20", "--samples-per-position", "1", "--sgf-every", "1",
         "--status-every", "0.5", "--seed", "3", "--generations", "1",
         # the kill message and the driver's lines on the terminal, not run.log:
         "--no-web", "--verbose"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400), pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")]


def kill_points(rng: random.Random) -> list[tuple[str, int]]:
    """The sessions' kill points, in the order the run reaches them: every step of the
    checkpoint, promotion and learner writes, and one of the periodic writes (a game, an
    SGF file, the state) at a random occurrence."""
    periodic = rng.choice([("game", rng.randint(1, 4)), ("sgf", rng.randint(1, 3)),
                           ("state", rng.randint(2, 4))])
    return [("initial-keras", 1), ("state-before-best", 1), periodic,
            ("candidate-pair", 1), ("gate-metadata", 1), ("state-before-best", 1),
            ("learner-pair", 1)]


def game_files(run: Path) -> list[Path]:
    return sorted((run / "games").rglob("*.npz"))


def session(address: str, run: Path, point: str | None, occurrence: int = 1
            ) -> tuple[int, str]:
    args = ([str(ROOT / "tests" / "selfplay" / "crash_driver.py"), point, str(occurrence),
             "--"] if point else ["-m", "selfplay.run"])
    proc = subprocess.run(
        [sys.executable, *args, "--address", address, "--run-dir", str(run), *FLAGS],
        cwd=ROOT, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
        capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def check_disk(run: Path, seen: dict[Path, str], where: str) -> dict:
    """state.json counts no more games than the consecutive game files on disk, and no
    game file seen before changed."""
    files = game_files(run)
    assert [int(f.stem) for f in files] == list(range(len(files))), (where, files)
    for f in files:
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        assert seen.setdefault(f, digest) == digest, f"{where}: {f} was rewritten"
    if not (run / "state.json").exists():
        return {}
    state = json.loads((run / "state.json").read_text())
    assert state["games"] <= len(files), (where, state["games"], len(files))
    return state


def test_kill_9_at_every_write_step_then_every_start_resumes(ray_address, tmp_path):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    run = tmp_path / "run"
    seen: dict[Path, str] = {}
    for i, (point, occurrence) in enumerate(kill_points(rng)):
        where = f"seed {seed}, session {i}: kill at {point} #{occurrence}"
        had_state = (run / "state.json").exists()
        code, out = session(ray_address, run, point, occurrence)
        assert code == 9 and f"crash_driver: killed at {point}" in out, \
            f"{where}: exit {code}\n{out[-5000:]}"
        assert "not usable" not in out and "Traceback" not in out, f"{where}\n{out[-5000:]}"
        if had_state:
            assert "resuming run" in out, f"{where}\n{out[-5000:]}"
        check_disk(run, seen, where)

    code, out = session(ray_address, run, None)
    assert code == 0 and "resuming run" in out, f"seed {seed}: last session\n{out[-5000:]}"
    state = check_disk(run, seen, f"seed {seed}: after the last session")
    files = game_files(run)
    assert state["games"] == len(files) > 0
    records = [GameRecord.from_npz(f) for f in files]
    assert sum(r.num_positions for r in records) == state["positions"]
    delivered = [(r.session, r.serial) for r in records]
    assert len(set(delivered)) == len(delivered), "a game was written twice"
    rd = RunDir(run)
    assert rd.read_best() == state["best"] != "ckpt-00000000.keras"
    for name in (state["best"], state["learner_checkpoint"]):
        rd.check_checkpoint(name)
    assert len(state["gates"]) == state["generation"] >= 3
    for gate in state["gates"]:
        meta = rd.read_checkpoint_metadata(gate["candidate"])
        assert meta["gate"]["generation"] == gate["generation"]
        assert meta["promoted"] == gate["promoted"]
    assert not list(run.rglob(".*.tmp")), "temporary files of killed writes were left"
    for keras in (run / "checkpoints").glob("*.keras"):  # every checkpoint is whole
        rd.check_checkpoint(keras.name)

    from rundir.stored_config import read_stored_config
    from selfplay.driver import Pipeline

    lines: list[str] = []
    pipeline = Pipeline(read_stored_config(rd), rd, log=lines.append)
    pipeline.prepare()
    assert not [line for line in lines if "warning" in line], lines
    assert pipeline.state.games == state["games"]
    assert pipeline.buffer.digest() == state["buffer_digest"]
