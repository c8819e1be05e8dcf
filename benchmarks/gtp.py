"""GTP engine speed: how fast a controller can drive it, and what the GTP layer costs.

* ``protocol_lines_per_s``: ``play`` / ``undo`` / ``showboard`` lines answered per second
  by the engine's command table (in-process, no search);
* ``genmove_simulations_per_s``: simulations per second inside ``genmove`` (200 playouts
  a move on 9x9, tree kept between moves), next to a bare ``mcts.BatchedSearch`` with the
  same evaluator and batch measured in the same run (``"reference": "bare_search"``; the
  ratio is what the engine's chunked search, clock checks and tree syncing leave of it),
  with a free evaluator (uniform priors, value 0) and with the CPU preset network;
* ``genmove_ms``: milliseconds per ``genmove`` at 200 playouts with the CPU preset network.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import go
from gtp.engine import GtpEngine
from gtp.search_player import PlayerConfig
from mcts import BatchedSearch, UniformEvaluator

SIZE = 9
PLAYOUTS = 200
BATCH = 8


def _protocol(quick: bool) -> dict:
    engine = GtpEngine(UniformEvaluator(SIZE, 8), PlayerConfig(playouts=16), log=io.StringIO())
    lines = ["play b e5", "play w c3", "showboard", "undo", "undo"]
    rounds = 200 if quick else 2000
    start = time.perf_counter()
    for _ in range(rounds):
        for line in lines:
            engine.dispatcher.handle_line(line)
    seconds = time.perf_counter() - start
    return {"bench": "gtp", "metric": "protocol_lines_per_s",
            "value": round(rounds * len(lines) / seconds), "unit": "lines/s"}


def _genmove(evaluator, label: str, moves: int) -> tuple[dict, dict]:
    engine = GtpEngine(evaluator, PlayerConfig(playouts=PLAYOUTS, leaves_per_tree=BATCH,
                                               resign_threshold=None),
                       seed=0, log=io.StringIO())
    engine.dispatcher.handle_line("genmove b")  # compile and warm up
    engine.dispatcher.handle_line("clear_board")
    start = time.perf_counter()
    for i in range(moves):
        engine.dispatcher.handle_line(f"genmove {'bw'[i % 2]}")
    engine_seconds = time.perf_counter() - start

    config = PlayerConfig(playouts=PLAYOUTS, leaves_per_tree=BATCH).search_config()
    search = BatchedSearch(evaluator, config, 1, seed=0)
    position = go.Position.new(SIZE, 7.5)
    search.set_root(0, position)
    search.run(simulations=PLAYOUTS)
    search.set_root(0, position)
    start = time.perf_counter()
    for _ in range(moves):
        search.run(simulations=PLAYOUTS)
        move = search.choose_move(0, temperature=0.0)
        search.advance(0, move)
    bare_seconds = time.perf_counter() - start
    engine_rate = moves * PLAYOUTS / engine_seconds
    bare_rate = moves * PLAYOUTS / bare_seconds
    rate = {"bench": "gtp", "metric": "genmove_simulations_per_s", "evaluator": label,
            "value": round(engine_rate), "unit": "simulations/s", "reference": "bare_search",
            "reference_value": round(bare_rate), "ratio": round(engine_rate / bare_rate, 3)}
    latency = {"bench": "gtp", "metric": "genmove_ms", "evaluator": label,
               "value": round(1000 * engine_seconds / moves, 1), "unit": "ms",
               "playouts": PLAYOUTS}
    return rate, latency


def run(quick: bool = False) -> Iterator[dict]:
    """Yield the records described in the module docstring."""
    yield _protocol(quick)
    moves = 6 if quick else 30
    rate, _ = _genmove(UniformEvaluator(SIZE, 8), "free", moves)
    yield rate
    try:
        from network import PRESETS, NetworkEvaluator, backend, build_model
    except ImportError:  # tensorflow missing: the network part is skipped
        return
    backend.configure()
    config = PRESETS["cpu9"]
    evaluator = NetworkEvaluator(build_model(config), config, seed=0)
    rate, latency = _genmove(evaluator, "cpu9", 3 if quick else 12)
    yield rate
    yield latency
