"""Rules speed: random-playout moves per CPU-second, this engine against OpenSpiel's C++ Go.

All three players play the same game: a uniformly random legal move, pass included, until
two passes or ``2 * N * N`` moves (OpenSpiel's ``max_game_length``).

* ``openspiel``: ``pyspiel`` Go, random legal actions chosen in a Python loop (the reference);
* ``python_api``: ``Position.legal_moves`` / ``Position.play`` in a Python loop;
* ``compiled``: ``kernels.random_playout``, the whole game in compiled code.

Also the numba start-up cost: import plus the first calls, with an empty on-disk cache
(compiling) and with the cache written by that run (loading).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from go import Position, kernels

SIZES = (9, 19)
BENCH = "rules"


def _openspiel(size: int, seconds: float) -> float | None:
    try:
        import pyspiel
    except ImportError:
        return None
    game = pyspiel.load_game("go", {"board_size": size, "komi": 7.5})
    rng = np.random.default_rng(0)
    moves = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        state = game.new_initial_state()
        while not state.is_terminal():
            actions = state.legal_actions()
            state.apply_action(actions[rng.integers(len(actions))])
            moves += 1
    return moves / (time.process_time() - start)


def _python_api(size: int, seconds: float) -> float:
    rng = np.random.default_rng(0)
    moves = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        position = Position.new(size, 7.5, max_moves=2 * size * size)
        while not position.is_over():
            legal = np.flatnonzero(position.legal_moves())
            position = position.play(int(legal[rng.integers(len(legal))]))
            moves += 1
    return moves / (time.process_time() - start)


def _compiled(size: int, seconds: float) -> float:
    nbrs, zobrist = kernels.neighbour_table(size), kernels.zobrist_table(size)
    max_moves = 2 * size * size
    hashes = np.zeros(max_moves + 1, np.uint64)
    board = np.zeros(size * size, np.int8)
    kernels.random_playout(board, 1, np.uint64(0), hashes, 1, nbrs, zobrist, 10, 0)  # compile
    moves = 0
    seed = 1
    start = time.process_time()
    while time.process_time() - start < seconds:
        board[:] = 0
        played, _ = kernels.random_playout(board, 1, np.uint64(0), hashes, 1, nbrs, zobrist,
                                           max_moves, seed)
        moves += played
        seed += 1
    return moves / (time.process_time() - start)


_STARTUP = """
import time
start = time.perf_counter()
import numpy as np
from go import Position, kernels
p = Position.new(9).play(40).play(41)
p.legal_moves(); p.area()
b = np.zeros(81, np.int8)
kernels.random_playout(b, 1, np.uint64(0), np.zeros(50, np.uint64), 1,
                       kernels.neighbour_table(9), kernels.zobrist_table(9), 40, 1)
print(time.perf_counter() - start)
"""


def _startup_seconds(cache_dir: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _STARTUP], cwd=root, env=env, check=True,
                          capture_output=True, text=True, timeout=600)
    return float(done.stdout.strip().splitlines()[-1])


def run(quick: bool) -> Iterator[dict]:
    """Yield one record per (board size, form), and the numba start-up records."""
    seconds = 0.3 if quick else 2.0
    _python_api(9, 0.01)  # compile (or load) the kernels outside the timings
    for size in SIZES:
        reference = _openspiel(size, seconds)
        if reference is None:
            yield {"bench": BENCH, "metric": f"playout_moves_per_s_{size}x{size}",
                   "error": "pyspiel is not installed (pip install -e '.[bench]'): "
                            "no OpenSpiel reference"}
        else:
            yield {"bench": BENCH, "metric": f"playout_moves_per_s_{size}x{size}",
                   "form": "openspiel", "value": round(reference), "unit": "moves/cpu-s"}
        for form, measure in (("python_api", _python_api), ("compiled", _compiled)):
            value = measure(size, seconds)
            record = {"bench": BENCH, "metric": f"playout_moves_per_s_{size}x{size}",
                      "form": form, "value": round(value), "unit": "moves/cpu-s"}
            if reference is not None:
                record.update(reference="openspiel", ratio=round(value / reference, 3))
            yield record
    if not quick:
        with tempfile.TemporaryDirectory() as cache_dir:
            cold = _startup_seconds(cache_dir)
            warm = _startup_seconds(cache_dir)
        yield {"bench": BENCH, "metric": "numba_first_call_s", "cache": "empty",
               "value": round(cold, 2), "unit": "s",
               "note": "import and first calls, compiling every kernel"}
        yield {"bench": BENCH, "metric": "numba_first_call_s", "cache": "warm",
               "value": round(warm, 2), "unit": "s", "reference": "empty cache",
               "ratio": round(warm / cold, 3)}


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(json.dumps(line))
