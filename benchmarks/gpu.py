"""The network on an accelerator: ``python -m benchmarks --only gpu`` (Keras on JAX).

Runs under ``KERAS_BACKEND=jax`` (set here unless the environment chose a backend before),
because the GPU machines have JAX, numba and numpy but neither TensorFlow nor Ray; nothing
on this path imports either. On a CPU it runs the same code (``--quick``: small stand-in
networks, a minute or two). ``scripts/gpu_bench.sh`` sets up a fresh environment and runs it.

Records (``bench: "gpu"``, one JSON object per line, comparisons measured in the same run):
  * ``device``: the device, backends, versions and CPU cores;
  * ``matmul_tflops`` (float32, bfloat16): a square ``jnp.dot`` on the device, the rate the
    network is compared with;
  * ``evaluations_per_s`` per preset ("agz19" = 19x19 b20c256, ~17 GFLOP per evaluation;
    "cpu9" = 9x9 b4c32), precision and batch (64..4096): the compiled forward pass, numpy
    planes in and numpy outputs out (host transfers included), best call of a repeated
    series (as for the matmul). Each carries ``tflops``
    and ``"reference": "matmul_bfloat16"``, ``"ratio"`` (fraction of the device's bfloat16
    matmul rate); ``bfloat16_speedup`` compares bfloat16 with float32 at the same batch;
  * ``precision_choice``: what ``network.precision.choose_precision``'s rule (fastest
    accurate low precision if >= 1.1x float32) picks from these rates at the best batch,
    with the accuracy of bfloat16 against float32 on the same weights;
  * ``training_samples_per_s``: ``Trainer.train_step`` at batch 2048 (halved until it fits
    in memory), float32 and bfloat16;
  * ``selfplay_search``: ``mcts.BatchedSearch`` over many games at 800 simulations per move,
    evaluator on the device, one process, no Ray: seconds in the search (CPU), in the
    evaluator's CPU work (features, symmetries, softmax) and in the device's forward pass,
    and ``cpu_cores_to_feed_device`` = CPU seconds / device seconds: the search processes
    needed to keep the device busy at that batch (``"reference": "cpu_cores"``).
Every phase checks a deadline (``DEADLINE_S``); a phase that would overrun is reported as
skipped, so the whole run fits in 10 minutes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

if "keras" not in sys.modules:
    os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEADLINE_S = 540.0
BATCHES = (64, 128, 256, 512, 1024, 2048, 4096)
QUICK_BATCHES = (16, 64)


def flops_per_evaluation(config: Any) -> int:
    """Multiply-adds x 2 of one forward pass of ``build_model(config)`` (convolutions and
    dense layers; batch norm and activations are not counted)."""
    points = config.board_size ** 2
    k2, f = config.kernel_size ** 2, config.filters
    convs = k2 * config.input_planes * f + 2 * config.blocks * k2 * f * f
    heads = f * (config.policy_filters + config.value_filters)
    dense = (points * config.policy_filters * (points + 1)
             + points * config.value_filters * config.value_hidden + config.value_hidden)
    return 2 * (points * (convs + heads) + dense)


def _best_seconds(fn: Callable[[], Any], budget_s: float, min_calls: int = 3) -> float:
    """The fastest of repeated calls of ``fn`` over ``budget_s`` seconds (at least
    ``min_calls``): the least disturbed call, robust to other load on the machine."""
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < min_calls or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if len(times) >= 200:
            break
    return float(min(times))


def _positions(config: Any, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, h = config.board_size, config.history_length
    boards = (rng.integers(-1, 2, (batch, h, n, n)) * (rng.random((batch, h, n, n)) < 0.5)
              ).astype(np.int8)
    return boards, rng.choice(np.array([-1, 1], np.int8), batch)


class _Clock:
    def __init__(self, limit_s: float) -> None:
        self.start = time.perf_counter()
        self.limit_s = limit_s

    def left(self) -> float:
        return self.limit_s - (time.perf_counter() - self.start)


def _device_record() -> dict:
    import jax
    import keras

    from network import backend

    return {"bench": "gpu", "metric": "device", "device": backend.device_description(),
            "devices": [str(d) for d in jax.devices()], "backend": backend.backend_name(),
            "jax_version": jax.__version__, "keras_version": keras.__version__,
            "cpu_cores": os.cpu_count(),
            "tensorflow_loaded": sys.modules.get("tensorflow") is not None,
            "ray_loaded": sys.modules.get("ray") is not None}


def _matmul_records(size: int, budget_s: float) -> Iterator[dict]:
    import jax
    import jax.numpy as jnp

    for dtype in ("float32", "bfloat16"):
        a = jnp.asarray(np.random.default_rng(0).standard_normal((size, size)), dtype)
        dot = jax.jit(lambda x: x @ x)
        dot(a).block_until_ready()
        seconds = _best_seconds(lambda: dot(a).block_until_ready(), budget_s)  # noqa: B023
        yield {"bench": "gpu", "metric": "matmul_tflops", "dtype": dtype, "size": size,
               "value": round(2 * size ** 3 / seconds / 1e12, 3), "unit": "TFLOP/s"}


def _evaluation_records(preset: str, config: Any, batches: tuple[int, ...], budget_s: float,
                        matmul_bf16: float, clock: _Clock) -> Iterator[dict]:
    import keras

    import network
    from network import backend, precision
    from network.features import planes

    keras.utils.set_random_seed(0)
    reference = network.build_model(config, "float32")
    models = {"float32": reference,
              "bfloat16": precision.apply(reference, "bfloat16")}
    forwards = {name: backend.compiled_forward(m)[0] for name, m in models.items()}
    flops = flops_per_evaluation(config)
    rates: dict[tuple[str, int], float] = {}
    accuracy = None
    for batch in batches:
        if clock.left() < 4 * budget_s:
            yield {"bench": "gpu", "metric": "evaluations_per_s", "preset": preset,
                   "batch": batch, "skipped": "deadline"}
            continue
        x = planes(*_positions(config, batch), config.liberty_planes)
        for name, forward in forwards.items():
            try:
                out = forward(x)                                    # compile
            except Exception as exc:                                # noqa: BLE001
                yield {"bench": "gpu", "metric": "evaluations_per_s", "preset": preset,
                       "precision": name, "batch": batch, "error": str(exc)[:300]}
                continue
            if name == "float32":
                ref_out = out
            elif accuracy is None:
                accuracy = precision.output_divergence(*ref_out, *out)
            seconds = _best_seconds(lambda: forward(x), budget_s)  # noqa: B023
            rate = batch / seconds
            rates[(name, batch)] = rate
            tflops = rate * flops / 1e12
            yield {"bench": "gpu", "metric": "evaluations_per_s", "preset": preset,
                   "network": config.name, "board_size": config.board_size,
                   "precision": name, "batch": batch, "value": round(rate, 1),
                   "unit": "positions/s", "gflop_per_evaluation": round(flops / 1e9, 3),
                   "tflops": round(tflops, 3), "reference": "matmul_bfloat16",
                   "ratio": round(tflops / matmul_bf16, 4) if matmul_bf16 else None}
        if ("float32", batch) in rates and ("bfloat16", batch) in rates:
            yield {"bench": "gpu", "metric": "bfloat16_speedup", "preset": preset,
                   "batch": batch, "value": round(rates[("bfloat16", batch)], 1),
                   "unit": "positions/s", "reference": "float32",
                   "ratio": round(rates[("bfloat16", batch)] / rates[("float32", batch)], 3)}
    if rates:
        best_name, best_batch = max(rates, key=rates.get)
        ratio = rates.get(("bfloat16", best_batch), 0.0) / rates.get(("float32", best_batch), 1)
        ok = accuracy is not None and precision.within_bounds(accuracy)
        yield {"bench": "gpu", "metric": "precision_choice", "preset": preset,
               "best_batch": best_batch, "fastest": best_name,
               "value": "bfloat16" if ok and ratio >= 1.1 else "float32",
               "bfloat16_over_float32": round(ratio, 3), "bfloat16_accuracy": accuracy}


def _training_records(preset: str, config: Any, batch: int, steps: int,
                      clock: _Clock) -> Iterator[dict]:
    import keras

    import network

    for name in ("float32", "bfloat16"):
        size = batch
        while size >= 8:
            if clock.left() < 60:
                yield {"bench": "gpu", "metric": "training_samples_per_s", "preset": preset,
                       "precision": name, "skipped": "deadline"}
                break
            try:
                keras.utils.set_random_seed(0)
                model = network.build_model(config, name)
                trainer = network.Trainer(model, config, network.TrainConfig(batch_size=size),
                                          seed=0)
                boards, to_play = _positions(config, size)
                policy = np.full((size, config.num_moves), 1 / config.num_moves, np.float32)
                value = np.where(np.arange(size) % 2 == 0, 1.0, -1.0).astype(np.float32)
                trainer.train_step(boards, to_play, policy, value)          # compile
                start = time.perf_counter()
                for _ in range(steps):
                    trainer.train_step(boards, to_play, policy, value)
                seconds = (time.perf_counter() - start) / steps
            except Exception as exc:                                        # noqa: BLE001
                yield {"bench": "gpu", "metric": "training_samples_per_s", "preset": preset,
                       "precision": name, "batch": size, "error": str(exc)[:300]}
                size //= 2
                continue
            yield {"bench": "gpu", "metric": "training_samples_per_s", "preset": preset,
                   "network": config.name, "precision": name, "batch": size, "steps": steps,
                   "value": round(size / seconds, 1), "unit": "samples/s",
                   "tflops": round(3 * flops_per_evaluation(config) * size / seconds / 1e12,
                                   3)}
            break


class _TimedEvaluator:
    """A ``NetworkEvaluator`` whose time in ``evaluate`` and in its forward pass is added up."""

    def __init__(self, evaluator: Any) -> None:
        self.inner = evaluator
        self.board_size = evaluator.board_size
        self.history_length = evaluator.history_length
        self.evaluate_s = 0.0
        self.forward_s = 0.0
        self.batches: list[int] = []
        forward = evaluator._forward

        def timed_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            start = time.perf_counter()
            out = forward(x)
            self.forward_s += time.perf_counter() - start
            return out

        evaluator._forward = timed_forward

    def evaluate(self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        start = time.perf_counter()
        out = self.inner.evaluate(boards, to_play, legal)
        self.evaluate_s += time.perf_counter() - start
        self.batches.append(len(boards))
        return out


def _selfplay_record(preset: str, config: Any, games: int, precision_name: str,
                     budget_s: float, clock: _Clock) -> dict:
    import keras

    import network
    from go.position import Position
    from mcts import BatchedSearch, SearchConfig

    common = {"bench": "gpu", "metric": "selfplay_search", "preset": preset,
              "network": config.name, "precision": precision_name, "games": games,
              "simulations": 800}
    if clock.left() < budget_s + 30:
        return {**common, "skipped": "deadline"}
    keras.utils.set_random_seed(0)
    model = network.build_model(config, precision_name)
    evaluator = _TimedEvaluator(network.NetworkEvaluator(model, config, seed=0))
    search = BatchedSearch(evaluator, SearchConfig(num_simulations=800), games, seed=0)
    size = config.board_size
    for g in range(games):
        search.set_root(g, Position.new(size, max_moves=2 * size * size))
    search.run(simulations=8)                   # compile the forward pass, warm numba
    evaluator.evaluate_s = evaluator.forward_s = 0.0
    evaluator.batches.clear()
    start = time.perf_counter()
    simulations = moves = 0
    deadline = start + budget_s
    while time.perf_counter() < deadline:
        search.run(simulations=100)
        simulations += 100
        if simulations % 800 == 0:              # a move every 800 simulations
            for g in range(games):
                if not search.position(g).is_over():
                    search.advance(g, search.choose_move(g))
            moves += 1
    wall = time.perf_counter() - start
    search_s = wall - evaluator.evaluate_s
    evaluator_cpu_s = evaluator.evaluate_s - evaluator.forward_s
    forward_s = max(evaluator.forward_s, 1e-9)
    cores = (search_s + evaluator_cpu_s) / forward_s
    evaluations = int(sum(evaluator.batches))
    return {**common, "moves": moves, "simulations_per_game": simulations,
            "evaluations": evaluations, "mean_batch": round(evaluations / max(
                len(evaluator.batches), 1), 1),
            "seconds": round(wall, 2), "search_s": round(search_s, 2),
            "evaluator_cpu_s": round(evaluator_cpu_s, 2), "device_s": round(forward_s, 2),
            "evaluations_per_s": round(evaluations / wall, 1),
            "search_only_cores": round(search_s / forward_s, 2),
            "value": round(cores, 2), "unit": "cpu cores", "reference": "cpu_cores",
            "ratio": round(cores / (os.cpu_count() or 1), 3)}


def run(quick: bool) -> Iterator[dict]:
    """Yield the benchmark records (see the module docstring)."""
    import keras

    from network.config import PRESETS, NetworkConfig

    clock = _Clock(DEADLINE_S)
    yield _device_record()
    if keras.backend.backend() != "jax":
        yield {"bench": "gpu", "metric": "note",
               "value": f"running on Keras backend {keras.backend.backend()!r}, not jax: "
                        f"keras was imported before this benchmark set KERAS_BACKEND"}
    if quick:
        presets = {"agz19": NetworkConfig(board_size=19, blocks=2, filters=32),
                   "cpu9": NetworkConfig(board_size=9, blocks=2, filters=32)}
        batches, budget, matmul_size = QUICK_BATCHES, 0.3, 512
        train_batch, train_steps, games, search_s = 64, 2, 16, 4.0
    else:
        presets = {"agz19": PRESETS["agz19"], "cpu9": PRESETS["cpu9"]}
        batches, budget, matmul_size = BATCHES, 1.0, 8192
        train_batch, train_steps, games, search_s = 2048, 3, 256, 40.0
    matmul_records = list(_matmul_records(matmul_size, budget))
    yield from matmul_records
    matmul = {r["dtype"]: r["value"] for r in matmul_records}
    for preset, config in presets.items():
        records = list(_evaluation_records(preset, config, batches, budget,
                                           matmul["bfloat16"], clock))
        yield from records
        choice = next((r["value"] for r in records if r["metric"] == "precision_choice"),
                      "float32")
        yield from _training_records(preset, config, train_batch, train_steps, clock)
        yield _selfplay_record(preset, config, games if preset == "agz19" else 4 * games,
                               choice, search_s, clock)
    yield {"bench": "gpu", "metric": "elapsed_s", "value": round(clock.limit_s - clock.left(),
                                                                   1), "unit": "s"}
