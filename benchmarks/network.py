"""Network benchmark: evaluations/s per preset and batch, training samples/s, feature cost.

Records (``bench: "network"``):
  * ``features_us_per_position``: expanding int8 boards to float32 planes (the compact
    form is what travels; this is the cost of expanding it where the network runs);
  * ``bare_model_call_per_s``: positions/s of a compiled ``model(x)`` on ready planes;
  * ``evaluations_per_s``: positions/s of ``NetworkEvaluator.evaluate`` (random symmetry,
    features, forward pass, masked softmax), with ``"reference": "bare_model_call"`` and
    ``"ratio"`` = evaluator / bare call on the same batch, measured interleaved in the
    same run (target >= 0.9);
  * ``training_samples_per_s``: ``Trainer.train_step`` throughput.
``auxiliary_records`` (what the auxiliary heads and global pooling cost) is reported by the
self-play benchmark (``python -m benchmarks --only selfplay``), whose evaluations they slow.
Rates are best-of-n over interleaved repetitions (robust to other load on the machine).
Quick mode: fewer repetitions, "agz19" only at batch 1 and no "agz19" training.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BATCHES = (1, 8, 64, 256)


def _positions(config: Any, batch: int, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, h = config.board_size, config.history_length
    boards = (rng.integers(-1, 2, (batch, h, n, n)) * (rng.random((batch, h, n, n)) < 0.5)
              ).astype(np.int8)
    to_play = rng.choice(np.array([-1, 1], np.int8), batch)
    legal = boards[:, 0].reshape(batch, -1) == 0
    legal = np.concatenate([legal, np.ones((batch, 1), bool)], axis=1)
    return boards, to_play, legal


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _bare_call(model: Any) -> Callable[[Any], Any]:
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False))
        return lambda x: {k: v.numpy() for k, v in fn(x).items()}
    return lambda x: model.predict_on_batch(x)


def _evaluation_records(name: str, config: Any, batches: tuple[int, ...], reps: int,
                        budget_s: float) -> Iterator[dict]:
    import keras

    import network
    from network.features import planes

    model = network.build_model(config)
    evaluator = network.NetworkEvaluator(model, config, seed=0)
    bare = _bare_call(model)
    for batch in batches:
        boards, to_play, legal = _positions(config, batch)
        x = planes(boards, to_play, config.liberty_planes)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            x = tf.constant(x)
        bare(x)
        evaluator.evaluate(boards, to_play, legal)              # compile / warm up
        first = _time(lambda: bare(x))                          # noqa: B023
        n = max(2, min(reps, int(budget_s / max(first, 1e-6) / 2)))
        bare_times, eval_times = [], []
        for _ in range(n):                                      # interleaved: same load
            bare_times.append(_time(lambda: bare(x)))           # noqa: B023
            eval_times.append(_time(lambda: evaluator.evaluate(boards, to_play, legal)))  # noqa: B023
        # Best of n, interleaved: the least disturbed run of each on a shared machine.
        bare_rate = batch / min(bare_times)
        eval_rate = batch / min(eval_times)
        common = {"bench": "network", "preset": name, "network": config.name,
                  "board_size": config.board_size, "batch": batch, "reps": n}
        yield {**common, "metric": "bare_model_call_per_s", "value": round(bare_rate, 1),
               "unit": "positions/s"}
        yield {**common, "metric": "evaluations_per_s", "value": round(eval_rate, 1),
               "unit": "positions/s", "reference": "bare_model_call",
               "ratio": round(eval_rate / bare_rate, 3)}
    assert evaluator.traces == 1, f"evaluator retraced {evaluator.traces} times"


def _training_record(name: str, config: Any, batch: int, steps: int) -> dict:
    import network

    model = network.build_model(config)
    trainer = network.Trainer(model, config, network.TrainConfig(batch_size=batch), seed=0)
    boards, to_play, legal = _positions(config, batch)
    policy = legal / legal.sum(axis=1, keepdims=True)
    value = np.where(np.arange(batch) % 2 == 0, 1.0, -1.0).astype(np.float32)
    trainer.train_step(boards, to_play, policy, value)          # compile
    times = [_time(lambda: trainer.train_step(boards, to_play, policy, value))
             for _ in range(steps)]
    return {"bench": "network", "metric": "training_samples_per_s", "preset": name,
            "network": config.name, "board_size": config.board_size, "batch": batch,
            "steps": steps, "value": round(batch / statistics.median(times), 1),
            "unit": "samples/s"}


def _feature_record(config: Any, batch: int, reps: int) -> dict:
    from network.features import planes

    boards, to_play, _ = _positions(config, batch)
    libs = config.liberty_planes
    planes(boards, to_play, libs)
    seconds = statistics.median(_time(lambda: planes(boards, to_play, libs))
                                for _ in range(reps))
    n2 = config.board_size ** 2
    return {"bench": "network", "metric": "features_us_per_position", "network": config.name,
            "board_size": config.board_size, "history": config.history_length, "batch": batch,
            "value": round(seconds / batch * 1e6, 3), "unit": "us",
            "int8_bytes_per_position": config.history_length * n2 + 1,
            "float32_bytes_per_position": config.input_planes * n2 * 4}


AUXILIARY_VARIANTS = {"heads": {"auxiliary_heads": True},
                      "global_pooling": {"global_pooling_every": 3},
                      "both": {"auxiliary_heads": True, "global_pooling_every": 3}}


def auxiliary_records(quick: bool, reps: int, bench: str = "selfplay") -> Iterator[dict]:
    """What the auxiliary heads and global pooling cost, records tagged ``bench``:

    * ``auxiliary_evaluations_per_s``: ``NetworkEvaluator.evaluate`` positions/s of "cpu9"
      with the auxiliary heads (``variant: "heads"``), global pooling every 3rd block
      (``"global_pooling"``) or both (``"both"``), with ``"reference": "plain"`` and
      ``"ratio"`` = variant / plain "cpu9" (same weights' shapes otherwise), measured
      interleaved in the same run (target: ratio >= 0.9). The search only asks for policy
      and value, so the compiled forward pass leaves the heads' extra outputs out.
    * ``auxiliary_training_samples_per_s``: the training cost the same way.
    """
    import dataclasses

    import network
    from network.config import PRESETS

    plain = dataclasses.replace(PRESETS["cpu9"], auxiliary_heads=False,
                                global_pooling_every=0)
    variants = {"both": AUXILIARY_VARIANTS["both"]} if quick else AUXILIARY_VARIANTS
    configs = {"plain": plain} | {name: dataclasses.replace(plain, **fields)
                                  for name, fields in variants.items()}
    evaluators = {name: network.NetworkEvaluator(network.build_model(c), c, seed=0)
                  for name, c in configs.items()}
    for batch in ((64,) if quick else (8, 64)):
        boards, to_play, legal = _positions(plain, batch)
        times: dict[str, list[float]] = {name: [] for name in evaluators}
        for evaluator in evaluators.values():
            evaluator.evaluate(boards, to_play, legal)          # compile / warm up
        for _ in range(reps):                                   # interleaved: same load
            for name, evaluator in evaluators.items():
                times[name].append(_time(
                    lambda e=evaluator: e.evaluate(boards, to_play, legal)))  # noqa: B023
        base = batch / min(times["plain"])
        for name in variants:
            rate = batch / min(times[name])
            yield {"bench": bench, "metric": "auxiliary_evaluations_per_s",
                   "preset": "cpu9", "variant": name, "network": configs[name].name,
                   "batch": batch, "reps": reps, "value": round(rate, 1),
                   "unit": "positions/s", "reference": "plain",
                   "reference_value": round(base, 1), "ratio": round(rate / base, 3)}
    batch, steps = (64, 3) if quick else (256, 8)
    rates = {}
    for name, config in configs.items():
        rates[name] = _training_record(name, config, batch, steps)["value"]
    for name in variants:
        yield {"bench": bench, "metric": "auxiliary_training_samples_per_s",
               "preset": "cpu9", "variant": name, "batch": batch, "steps": steps,
               "value": rates[name], "unit": "samples/s", "reference": "plain",
               "reference_value": rates["plain"],
               "ratio": round(rates[name] / rates["plain"], 3)}


def run(quick: bool) -> Iterator[dict]:
    """Yield the benchmark records (see the module docstring)."""
    from network.config import PRESETS

    reps = 5 if quick else 20
    budget = 2.0 if quick else 10.0
    yield _feature_record(PRESETS["cpu9"], 256, reps)
    yield _feature_record(PRESETS["agz19"], 64, reps)
    yield from _evaluation_records("cpu9", PRESETS["cpu9"], BATCHES, reps, budget)
    yield _training_record("cpu9", PRESETS["cpu9"], 64 if quick else 256, 3 if quick else 10)
    agz_batches = (1,) if quick else BATCHES
    yield from _evaluation_records("agz19", PRESETS["agz19"], agz_batches, reps, budget)
    if not quick:
        yield _training_record("agz19", PRESETS["agz19"], 16, 2)
