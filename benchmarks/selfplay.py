"""Self-play benchmark: pipeline throughput against the bare network, replay buffer bytes.

Records (``bench: "selfplay"``):
  * ``evaluations_per_s`` for ``workers`` = 1, 2, 4 (quick: 1, 2): positions/s the network
    evaluated for self-play workers on a local Ray cluster, placed as a run places them
    (CPU preset "cpu9": b4c32 network, 100 simulations, 32 games per worker, 4 leaves per
    tree), one inference server batching the workers' requests; ``"reference":
    "raw_network_same_batch"`` and ``"ratio"``: the same server's network alone on random
    positions at the mean batch size self-play produced, in the same process (target >=
    0.8: Ray, batching and the search's share of the CPU cost at most 20%). Self-play
    windows and raw measurements alternate; each side reports its best window. The
    learner and the gatekeeper are not running.
  * ``positions_per_s``: moves (training positions) played per second, same runs.
  * ``gate_cost_share`` and ``resign_false_positive_rate``: from a one-generation training
    run (``python -m selfplay.run``'s pipeline on the same local Ray; 5x5, the tiny
    network, cpu9's proportions scaled down: a gate of 8 games at 6 simulations against
    a generation of 32 steps x 16 samples at 1 per position of 16-simulation self-play,
    like cpu9's 64 games x 40 simulations against 12,800 moves x 100). The first: the
    gate's network evaluations over one generation's self-play evaluations (the driver's
    gate line); the second: the share of resign-disabled games where a player would have
    resigned and then won (``null`` when none would have resigned; the run's counts say
    how many games it rests on).
  * ``evaluations_per_s_vs_best_network``: the same self-play rate against the network
    alone at its best batch (64..1024) and best precision (float32, bfloat16), each
    measured by an inference server placed as the run's (``"reference":
    "raw_network_best"``; ``raw_network_best`` names the batch and precision). The
    self-play server runs the precision the run would choose (``precision`` setting,
    ``"auto"`` by default: measured at start).
  * ``buffer_bytes_per_position`` for 9x9 and 19x19: in-memory replay buffer cost per
    position of real self-play games (9x9: full games, cpu9 search; 19x19: the first 100
    moves, 800 simulations as AlphaGo Zero). The search uses uniform priors, which spreads
    visits over the most moves: a worst case for the sparse policies (target <= 1024 B on
    19x19). ``disk_bytes_per_position``: the compressed ``.npz`` game files.
  * ``policy_targets_per_eval``: full-search positions recorded as policy targets per
    network evaluation, with the cpu9 search (``"pcr": true``: playout cap randomization
    and forced playouts as the preset sets them) and without (``"pcr": false``,
    AlphaGo Zero: every move a full search); the same games on a uniform-prior
    evaluator (the count does not depend on the network), ``"ratio"`` on/off.
    ``positions_per_eval`` counts every position (each has a value target).
  * ``auxiliary_evaluations_per_s`` and ``auxiliary_training_samples_per_s``: the network's
    evaluations/s and training samples/s with the auxiliary heads, global pooling or both
    against the plain "cpu9" tower (``"ratio"``, target >= 0.9), from
    ``benchmarks.network.auxiliary_records``.
  * ``mean_game_length`` of the 9x9 games of ``buffer_bytes_per_position`` (moves,
    passes included), with ``p95`` and ``cap_share``, the share of games that reached
    the move cap (``max_moves``).
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


def _policy_target_records(quick: bool) -> Iterator[dict[str, Any]]:
    import dataclasses

    from mcts import UniformEvaluator
    from rundir import config as run_config
    from selfplay.game_loop import SelfPlayGames

    config = run_config.preset("cpu9")
    on = config.search
    off = dataclasses.replace(on, full_search_fraction=1.0, forced_playout_k=0.0)
    steps, games = (20, 8) if quick else (60, 16)
    rates = {}
    for pcr, search in ((False, off), (True, on)):
        loop = SelfPlayGames(UniformEvaluator(config.rules.size, 8), config.rules, search,
                             games, seed=0)
        loop.play(min_games=10**9, max_steps=steps)
        evaluations = max(loop.search.evaluations, 1)
        rates[pcr] = loop.policy_targets / evaluations
        yield {"bench": "selfplay", "preset": "cpu9", "pcr": pcr,
               "metric": "policy_targets_per_eval", "value": round(rates[pcr], 5),
               "unit": "positions/evaluation", "positions_per_eval":
               round(loop.moves_played / evaluations, 5), "moves": loop.moves_played,
               "full_simulations": search.num_simulations,
               "fast_simulations": search.fast_simulation_count(),
               "full_search_fraction": search.full_search_fraction,
               "forced_playout_k": search.forced_playout_k,
               **({"reference": "pcr_false", "ratio": round(rates[True] / rates[False], 3)}
                  if pcr else {})}


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
        wait_ms=config.pipeline.inference_wait_ms, seed=0,
        precision=config.pipeline.precision,
        precision_batch=workers * config.pipeline.games_per_worker)
    pool = [actors.start_worker(placement, None, name, config.rules.size,
                                config.network.history_length, rules=config.rules,
                                search=config.search, games=config.pipeline.games_per_worker,
                                seed=i, worker=i, pipelines=pipelines)
            for i, placement in enumerate(plan.workers)]
    try:
        chosen = ray.get(server.precision_choice.remote())["precision"]
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
              "pipelines": pipelines, "simulations": config.search.num_simulations,
              "precision": chosen}
    return [
        {**common, "metric": "evaluations_per_s", "value": round(rate, 1),
         "unit": "positions/s", "mean_batch": round(batch, 1),
         "reference": "raw_network_same_batch", "ratio": round(rate / raw, 3)},
        {**common, "metric": "raw_network_evaluations_per_s", "value": round(raw, 1),
         "unit": "positions/s", "batch": max(1, round(batch))},
        {**common, "metric": "positions_per_s", "value": round(max(moves), 2),
         "unit": "positions/s"},
    ]


GATE_RUN_FLAGS = [
    "--network", "tiny", "--board-size", "5", "--workers", "2", "--games-per-worker", "4",
    "--simulations", "16", "--gate-simulations", "6", "--gate-games", "8",
    "--steps-per-generation", "32", "--batch-size", "16", "--samples-per-position", "1",
    "--window", "600", "--train-start", "150", "--sgf-every", "0", "--generations", "1",
    "--seed", "1"]


def _gate_records() -> list[dict[str, Any]]:
    """Run one generation of training (Ray already up) and read its gate and resign
    statistics from the run's state."""
    import tempfile
    from pathlib import Path

    from selfplay.driver import Pipeline
    from selfplay.run import build_parser, resolve_config

    with tempfile.TemporaryDirectory() as tmp:
        args = build_parser().parse_args(
            [*GATE_RUN_FLAGS, "--run-dir", str(Path(tmp) / "run"), "--status-every", "60"])
        config, run_dir = resolve_config(args)
        lines: list[str] = []
        state = Pipeline(config, run_dir, log=lines.append).run()
    if not state.gates:
        raise RuntimeError("the benchmark's training run played no gate:\n"
                           + "\n".join(lines[-20:]))
    gate = state.gates[-1]
    common = {"bench": "selfplay", "run": "5x5 tiny, 1 generation", "games": state.games,
              "positions": state.positions}
    rate = (state.resign_false_positives / state.resign_would_have
            if state.resign_would_have else None)
    return [
        {**common, "metric": "gate_cost_share", "value": gate.gate_cost_share,
         "unit": "share", "gate_games": gate.games, "gate_evaluations": gate.evaluations,
         "generation_evaluations": dict(gate.report).get("generation_evaluations")},
        {**common, "metric": "resign_false_positive_rate",
         "value": None if rate is None else round(rate, 4), "unit": "share",
         "no_resign_games": state.no_resign_games, "would_have_resigned":
         state.resign_would_have, "false_positives": state.resign_false_positives},
    ]
def _best_network(seconds: float, batches: tuple[int, ...]) -> Iterator[dict[str, Any]]:
    """The cpu9 network alone, on a server placed as a run's (one worker's plan), at each
    batch in float32 and bfloat16; the last record is the best."""
    import ray

    from rundir import config as run_config
    from selfplay import actors
    from selfplay.placement import PlacementRequest, nodes_from_ray, plan_placement

    config = run_config.preset("cpu9")
    plan = plan_placement(PlacementRequest(workers=1), nodes_from_ray(ray.nodes()))
    best: dict[str, Any] = {"value": 0.0}
    for precision in ("float32", "bfloat16"):
        server = actors.start_inference_server(plan.inference[0], None, seed=0,
                                               network_config=config.network,
                                               precision=precision)
        try:
            for batch in batches:
                rate = ray.get(server.measure_throughput.remote(batch, seconds))
                record = {"bench": "selfplay", "preset": "cpu9", "metric":
                          "raw_network_evaluations_per_s", "precision": precision,
                          "batch": batch, "value": round(rate, 1), "unit": "positions/s"}
                yield record
                if rate > best["value"]:
                    best = {**record, "metric": "raw_network_best"}
        finally:
            ray.kill(server, no_restart=True)
    yield best


def run(quick: bool) -> Iterator[dict[str, Any]]:
    """Yield the records described in the module docstring."""
    from benchmarks.network import auxiliary_records

    yield from _buffer_records(quick)
    yield from _policy_target_records(quick)
    yield from auxiliary_records(quick, 10 if quick else 40)
    import ray

    ray.init(address="local", include_dashboard=False, log_to_driver=False,
             namespace="benchmarks")
    try:
        selfplay = []
        for workers in ((1, 2) if quick else (1, 2, 4)):
            for record in _throughput(workers, 5.0 if quick else 15.0, 2 if quick else 3):
                yield record
                if record["metric"] == "evaluations_per_s":
                    selfplay.append(record)
        best = None
        for best in _best_network(2.0 if quick else 5.0,
                                  (64, 256) if quick else (64, 128, 256, 512, 1024)):
            yield best
        for record in selfplay:
            yield {**{k: record[k] for k in ("bench", "preset", "network", "workers",
                                             "precision", "mean_batch", "value", "unit")},
                   "metric": "evaluations_per_s_vs_best_network",
                   "reference": "raw_network_best", "reference_batch": best["batch"],
                   "reference_precision": best["precision"],
                   "ratio": round(record["value"] / best["value"], 3)}
        yield from _gate_records()
    finally:
        ray.shutdown()
