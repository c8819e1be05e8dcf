"""Self-play benchmark: pipeline throughput against the bare network, replay buffer bytes.

Records (``bench: "selfplay"``):
  * ``evaluations_per_s`` for ``workers`` = 1, 2, 4 (quick: 1, 2): positions/s the network
    evaluated for self-play workers on a local Ray cluster, placed as a run places them
    (CPU preset "cpu9": b6c64 network, 100 simulations, 16 games per worker, 2 leaves per
    tree), one inference server batching the workers' requests; ``"reference":
    "raw_network_same_batch"`` and ``"ratio"``: the same server's network alone on random
    positions at the mean batch size self-play produced, in the same process (target >=
    0.8: Ray, batching and the search's share of the CPU cost at most 20%). Self-play
    windows and raw measurements alternate; each side reports its best window. The
    learner and the gatekeeper are not running.
  * ``positions_per_s``: moves (training positions) played per second, same runs.
  * ``buffer_bytes_per_position`` for 9x9 and 19x19: in-memory replay buffer cost per
    position of real self-play games (9x9: full games, cpu9 search; 19x19: the first 100
    moves, 800 simulations as AlphaGo Zero). The search uses uniform priors, which spreads
    visits over the most moves: a worst case for the sparse policies (target <= 1024 B on
    19x19). ``disk_bytes_per_position``: the compressed ``.npz`` game files.
  * ``mean_game_length`` of those 9x9 games (moves, passes included), with ``p95`` and
    ``cap_share``, the share of games that reached the move cap (``max_moves``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _buffer_records(quick: bool) -> Iterator[dict[str, Any]]:
    from go import RulesConfig
    from mcts import SearchConfig, UniformEvaluator
    from selfplay.game_loop import SelfPlayGames
    from selfplay.replay_buffer import ReplayBuffer

    cases = ((9, 162, 100, 8), (19, 100, 200 if quick else 800, 4))
    for size, max_moves, sims, games in cases:
        loop = SelfPlayGames(UniformEvaluator(size, 8), RulesConfig(size, 7.5, max_moves),
                             SearchConfig(num_simulations=sims, add_noise=True), games,
                             seed=0)
        records = loop.play(min_games=games)
        buffer = ReplayBuffer(size, 8, 10**9)
        disk = 0
        for i, record in enumerate(records):
            record.game_id = i
            buffer.add(record)
            disk += len(record.to_npz_bytes())
        common = {"bench": "selfplay", "board": f"{size}x{size}", "simulations": sims,
                  "positions": len(buffer)}
        if size == 9:
            lengths = np.array([len(r.moves) for r in records])
            yield {**common, "metric": "mean_game_length", "value": round(float(lengths.mean()), 1),
                   "unit": "moves", "p95": float(np.percentile(lengths, 95)),
                   "cap_share": float(np.mean(lengths >= max_moves)), "games": len(lengths),
                   "max_moves": max_moves, "evaluator": "uniform"}
        yield {**common, "metric": "buffer_bytes_per_position",
               "value": round(buffer.bytes_per_position(), 1), "unit": "bytes"}
        yield {**common, "metric": "disk_bytes_per_position",
               "value": round(disk / len(buffer), 1), "unit": "bytes"}


def _selfplay_window(pool: list, server: Any, seconds: float) -> tuple[float, float, float]:
    """Keep every worker busy for ``seconds``; returns (evaluations/s, moves/s, mean batch)."""
    import ray

    before = ray.get(server.stats.remote())
    start = time.perf_counter()
    pending = {w.play.remote(10**9, 1): w for w in pool}
    evaluations = moves = 0
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        worker = pending.pop(ready[0])
        report = ray.get(ready[0])
        evaluations += report.evaluations
        moves += report.moves
        if time.perf_counter() - start < seconds:
            pending[worker.play.remote(10**9, 1)] = worker
    wall = time.perf_counter() - start
    after = ray.get(server.stats.remote())
    batches = max(after["batches"] - before["batches"], 1)
    return (evaluations / wall, moves / wall,
            (after["positions"] - before["positions"]) / batches)


def _throughput(workers: int, seconds: float, reps: int) -> list[dict[str, Any]]:
    import ray

    from rundir import config as run_config
    from selfplay import actors
    from selfplay.placement import PlacementRequest, nodes_from_ray, plan_placement

    config = run_config.preset("cpu9")
    plan = plan_placement(PlacementRequest(workers=workers), nodes_from_ray(ray.nodes()))
    name = f"bench-w{workers}:inference-0"
    pipelines = run_config.worker_pipelines(config.pipeline, workers)
    server = actors.start_inference_server(
        plan.inference[0], name, network_config=config.network, clients=workers,
        wait_ms=config.pipeline.inference_wait_ms, seed=0)
    pool = [actors.start_worker(placement, None, name, config.rules.size,
                                config.network.history_length, rules=config.rules,
                                search=config.search, games=config.pipeline.games_per_worker,
                                seed=i, worker=i, pipelines=pipelines)
            for i, placement in enumerate(plan.workers)]
    try:
        ray.get([w.play.remote(10**9, 1) for w in pool])  # warm: compile, trace, first move
        rates, moves, batches, raws = [], [], [], []
        for _ in range(reps):  # interleaved, best of each: robust to other load
            rate, move_rate, mean_batch = _selfplay_window(pool, server, seconds)
            rates.append(rate)
            moves.append(move_rate)
            batches.append(mean_batch)
            raws.append(ray.get(server.measure_throughput.remote(
                max(1, round(mean_batch)), seconds / 2)))
    finally:
        for handle in [*pool, server]:
            ray.kill(handle, no_restart=True)
    best = int(np.argmax(rates))
    rate, raw, batch = rates[best], max(raws), batches[best]
    common = {"bench": "selfplay", "preset": "cpu9", "network": config.network.name,
              "workers": workers, "games_per_worker": config.pipeline.games_per_worker,
              "pipelines": pipelines, "simulations": config.search.num_simulations}
    return [
        {**common, "metric": "evaluations_per_s", "value": round(rate, 1),
         "unit": "positions/s", "mean_batch": round(batch, 1),
         "reference": "raw_network_same_batch", "ratio": round(rate / raw, 3)},
        {**common, "metric": "raw_network_evaluations_per_s", "value": round(raw, 1),
         "unit": "positions/s", "batch": max(1, round(batch))},
        {**common, "metric": "positions_per_s", "value": round(max(moves), 2),
         "unit": "positions/s"},
    ]


def run(quick: bool) -> Iterator[dict[str, Any]]:
    """Yield the records described in the module docstring."""
    yield from _buffer_records(quick)
    import ray

    ray.init(address="local", include_dashboard=False, log_to_driver=False,
             namespace="benchmarks")
    try:
        for workers in ((1, 2) if quick else (1, 2, 4)):
            yield from _throughput(workers, 5.0 if quick else 15.0, 2 if quick else 3)
    finally:
        ray.shutdown()
