"""Driver benchmark: what one driver process can ingest, feed and announce.

The driver (``selfplay.driver.Pipeline``) is one process: it takes every finished game,
samples the learner's batches from the replay buffer it holds, and announces new weights.
Records (``bench: "driver"``):

  * ``ingest_games_per_s`` / ``ingest_positions_per_s`` (9x9 ``cpu9`` and 19x19 ``agz19``):
    the driver's own loop (``Pipeline._loop``: Ray results, each game replayed and checked,
    written to ``games/``, every 100th as SGF, packed into the buffer, counted, fed to the
    resign calibration; status line, TensorBoard scalars and ``state.json`` with the
    buffer's digest every ``status_every`` seconds) fed by synthetic workers: Ray actors
    that return prepared games (played beforehand by the real search with uniform priors),
    one per call, as fast as the driver calls them. No learner, gate or inference server
    runs. ``value`` is per wall second; ``per_cpu_s`` per second of the driver process's CPU
    time (all its threads), what one core sustains whatever else loads the machine.
  * ``feed_samples_per_cpu_s``: the learner's feed, per driver CPU second: one training
    call's batches (``train_steps_per_call`` x ``batch_size``, one random symmetry each) and
    its held-out batch sampled from that buffer and put into Ray's object store.
  * ``digest_seconds_per_million_positions``: ``ReplayBuffer.digest()``, which every state
    write (every ``status_every`` s) computes: one hash over the held games' own digests
    (each hashed once, when its game arrived).
  * ``capacity_games_per_s``: games/s one driver core sustains with ingestion and the
    learner's feed at the preset's ``samples_per_position``:
    ``1 / (cpu per game + samples_per_position x positions per game x cpu per sample)``;
    ``reference: "alphago_zero_games_per_s"`` (19: AlphaGo Zero's 4.9M games in 72 hours)
    and ``ratio``.
  * ``announce_seconds`` for N = 1, 2, 4 inference servers (real ``InferenceServer`` Ray
    actors, float32, agz19's b20c256 network, 94 MB of weights): one ``ray.put`` of the
    weights, then ``set_weights`` on every server (``Crew.announce``), until every server
    has loaded them; best of 3.

The synthetic workers' own CPU (serialising each report) is not the driver's; on a machine
with few cores they compete with it, which ``value`` (wall) shows and ``per_cpu_s`` does
not.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ALPHAGO_ZERO_GAMES_PER_S = 4.9e6 / (72 * 3600)  # ~18.9
SYNTHETIC_WORKERS = 4


class PreparedWorker:
    """A synthetic self-play worker: ``play`` returns the next prepared game at once."""

    def __init__(self, games: list[Any], worker: int) -> None:
        self.games, self.worker, self.calls = games, worker, 0

    def play(self, min_games: int = 1, max_steps: int | None = None,
             max_seconds: float | None = None, resign_threshold: float | None = None) -> Any:
        from selfplay.worker import WorkerReport

        record = self.games[self.calls % len(self.games)]
        self.calls += 1
        record.worker, record.serial = self.worker, self.calls
        return WorkerReport(games=[record], moves=record.num_positions, evaluations=0,
                            seconds=0.0, worker=self.worker)


class _SyntheticCrew:
    """What ``Pipeline._loop`` asks of its crew when only workers run."""

    def __init__(self, workers: list[Any]) -> None:
        self.workers, self.servers = workers, []

    def check_servers(self, *args: Any) -> None:
        """No inference server to check."""


def _prepared_games(config: Any, count: int, simulations: int, max_moves: int) -> list[Any]:
    from mcts import UniformEvaluator
    from selfplay.game_loop import SelfPlayGames

    rules = dataclasses.replace(config.rules, max_moves=max_moves)
    search = dataclasses.replace(config.search, num_simulations=simulations,
                                 resign_threshold=None)
    loop = SelfPlayGames(UniformEvaluator(rules.size, config.network.history_length), rules,
                         search, count, seed=0)
    return loop.play(min_games=count)[:count]


def _ingest(preset: str, seconds: float, games: list[Any]) -> tuple[dict[str, Any], Any]:
    """Run the driver's loop for ``seconds`` on synthetic workers; (record, pipeline)."""
    import ray

    from rundir import config as run_config
    from rundir.run_dir import RunDir
    from selfplay.driver import Pipeline
    from selfplay.status import TensorBoardLog

    base = run_config.preset(preset)
    # Training never starts (no learner): the loop only ingests, reports and publishes.
    config = dataclasses.replace(base, pipeline=dataclasses.replace(
        base.pipeline, window=10**9, window_max=None, train_start=10**9,
        minutes=seconds / 60))
    tmp = tempfile.mkdtemp(prefix="zerogo-driver-bench-")
    pipeline = Pipeline(config, RunDir(Path(tmp) / "run"), log=lambda line: None)
    pipeline.prepare()
    pipeline.tb = TensorBoardLog(pipeline.run_dir.logs_dir)
    cls = ray.remote(PreparedWorker).options(num_cpus=0)
    workers = [cls.remote(games, i) for i in range(SYNTHETIC_WORKERS)]
    ray.get([w.play.remote() for w in workers])  # started, games deserialised once
    pipeline.crew = _SyntheticCrew(workers)
    wall, cpu = time.perf_counter(), time.process_time()
    pipeline._loop()  # the driver's real loop, stopped by its own ``minutes`` check
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for w in workers:
        ray.kill(w, no_restart=True)
    pipeline.tb.close()
    s = pipeline.state
    per_game = s.positions / max(s.games, 1)
    common = {"bench": "driver", "preset": preset, "board": f"{config.rules.size}x"
              f"{config.rules.size}", "workers": SYNTHETIC_WORKERS, "games": s.games,
              "positions": s.positions, "positions_per_game": round(per_game, 1),
              "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
              "dropped": pipeline.ingest.dropped}
    record = {**common, "games_per_s": round(s.games / wall, 1),
              "games_per_cpu_s": round(s.games / cpu, 1),
              "positions_per_s": round(s.positions / wall, 1),
              "positions_per_cpu_s": round(s.positions / cpu, 1)}
    return record, pipeline


def _feed_cpu_per_sample(pipeline: Any, calls: int) -> float:
    """Driver CPU seconds per sampled position of the learner's feed."""
    import ray

    p, batch = pipeline.config.pipeline, pipeline.config.train.batch_size
    buffer, augment = pipeline.buffer, pipeline.config.train.augment
    cpu = time.process_time()
    for _ in range(calls):
        batches = [buffer.sample(batch, symmetries=augment)
                   for _ in range(p.train_steps_per_call)]
        heldout = buffer.sample_newest(batch, max(0, pipeline.state.games - 10))
        ref = ray.put((batches, heldout))
        del ref
    return (time.process_time() - cpu) / (calls * (p.train_steps_per_call + 1) * batch)


def _driver_records(preset: str, seconds: float, quick: bool) -> Iterator[dict[str, Any]]:
    from rundir import config as run_config

    base = run_config.preset(preset)
    if preset == "agz19":  # AlphaGo Zero's games: about 210 moves
        games = _prepared_games(base, 4 if quick else 8, 16 if quick else 100, 250)
    else:
        games = _prepared_games(base, 8 if quick else 16, base.search.num_simulations,
                                base.rules.max_moves)
    record, pipeline = _ingest(preset, seconds, games)
    common = {k: record[k] for k in ("bench", "preset", "board")}
    yield {**record, "metric": "ingest_games_per_s", "value": record["games_per_s"],
           "per_cpu_s": record["games_per_cpu_s"], "unit": "games/s"}
    yield {**common, "metric": "ingest_positions_per_s", "value": record["positions_per_s"],
           "per_cpu_s": record["positions_per_cpu_s"], "unit": "positions/s"}
    per_sample = _feed_cpu_per_sample(pipeline, 2 if quick else 4)
    p = pipeline.config.pipeline
    yield {**common, "metric": "feed_samples_per_cpu_s", "value": round(1 / per_sample),
           "unit": "samples/s", "batch": pipeline.config.train.batch_size,
           "steps_per_call": p.train_steps_per_call}
    start = time.perf_counter()
    pipeline.buffer.digest()
    digest_s = time.perf_counter() - start
    yield {**common, "metric": "digest_seconds_per_million_positions",
           "value": round(digest_s / len(pipeline.buffer) * 1e6, 3), "unit": "s",
           "buffer_positions": len(pipeline.buffer),
           "window_max": p.window_max, "status_every": p.status_every}
    per_game = record["positions"] / max(record["games"], 1)
    cpu_per_game = record["cpu_seconds"] / max(record["games"], 1)
    capacity = 1.0 / (cpu_per_game + p.samples_per_position * per_game * per_sample)
    out = {**common, "metric": "capacity_games_per_s", "value": round(capacity, 1),
           "unit": "games/s", "positions_per_s": round(capacity * per_game),
           "samples_per_position": p.samples_per_position,
           "positions_per_game": round(per_game, 1)}
    if preset == "agz19":
        out.update(reference="alphago_zero_games_per_s",
                   ratio=round(capacity / ALPHAGO_ZERO_GAMES_PER_S, 2))
    yield out


def _announce_records(quick: bool) -> Iterator[dict[str, Any]]:
    import ray

    from network import build_model
    from rundir import config as run_config
    from selfplay import actors
    from selfplay.placement import ActorPlacement

    network = run_config.preset("agz19").network
    weights = build_model(network).get_weights()
    megabytes = sum(w.nbytes for w in weights) / 1e6
    node = ray.get_runtime_context().get_node_id()
    counts = (1, 2) if quick else (1, 2, 4)
    servers = [actors.start_inference_server(
        ActorPlacement("inference", i, node, 0.1), None, network_config=network,
        wait_for_weights=True, precision="float32") for i in range(max(counts))]
    try:
        ray.get([s.get_version.remote() for s in servers])  # built
        version = 0
        for n in counts:
            times, puts = [], []
            for _ in range(3):
                version += 1
                start = time.perf_counter()
                ref = ray.put(weights)
                puts.append(time.perf_counter() - start)
                ray.get([s.set_weights.remote(version, ref) for s in servers[:n]])
                times.append(time.perf_counter() - start)
                del ref
            yield {"bench": "driver", "metric": "announce_seconds", "preset": "agz19",
                   "network": network.name, "servers": n, "value": round(min(times), 3),
                   "unit": "s", "ray_put_seconds": round(min(puts), 3),
                   "weights_mb": round(megabytes, 1)}
    finally:
        for s in servers:
            ray.kill(s, no_restart=True)


def run(quick: bool) -> Iterator[dict[str, Any]]:
    """Yield the records described in the module docstring."""
    import ray

    ray.init(address="local", include_dashboard=False, log_to_driver=False,
             namespace="benchmarks")
    try:
        for preset in ("cpu9", "agz19"):
            yield from _driver_records(preset, 10.0 if quick else 30.0, quick)
        yield from _announce_records(quick)
    finally:
        ray.shutdown()
