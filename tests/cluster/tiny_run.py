"""The smallest real training run, and what its run directory must hold afterwards."""

from __future__ import annotations

import json
from pathlib import Path

# 5x5 board, the 2-block test network, a handful of simulations, a 2-game gate that promotes
# whatever the result: one generation takes seconds of compute.
TINY_RUN_FLAGS = [
    "--network", "tiny", "--board-size", "5", "--workers", "2", "--games-per-worker", "2",
    "--simulations", "4", "--gate-simulations", "4", "--gate-games", "2", "--gate-threshold", "0",
    "--steps-per-generation", "2", "--batch-size", "8", "--window", "200",
    "--train-start", "20", "--sgf-every", "1", "--status-every", "1", "--seed", "1",
]


def game_files(run_dir: Path) -> list[Path]:
    """Every finished game the run wrote to disk."""
    return sorted((run_dir / "games").rglob("*.npz"))


def check_run_dir(run_dir: Path, generations: int, output: str) -> dict:
    """Assert a run stopped after ``generations`` gate matches with every game on disk.

    Returns the run's state (``state.json``). ``output`` (the run's terminal output) is
    shown when an assertion fails.
    """
    state_path = run_dir / "state.json"
    assert state_path.is_file(), f"no {state_path}; the run printed:\n{output[-4000:]}"
    state = json.loads(state_path.read_text())
    last = state["sessions"][-1]
    assert last["reason"] == f"{generations} generations", (last, output[-4000:])
    assert len(state["gates"]) >= generations, state["gates"]
    assert (run_dir / "config.toml").is_file()
    best = (run_dir / "checkpoints" / "best").read_text().strip()
    assert (run_dir / "checkpoints" / best).is_file(), best
    # Every finished game is on disk, once, numbered 0..games-1 in arrival order.
    files = game_files(run_dir)
    assert state["games"] > 0
    assert [int(f.stem) for f in files] == list(range(state["games"])), (
        f"state counts {state['games']} games, disk holds {[f.stem for f in files]}")
    return state
