"""The pipeline's roles run in the precision ``network.precision`` chooses: the inference
server and the learner as plain classes (real TensorFlow), the run config's setting, the
state's record of it, and the placement table's line."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
import pytest

from network import load_checkpoint, precision
from network.config import NetworkConfig, TrainConfig
from network.features import planes
from rundir.config import PipelineConfig, forced_precision
from rundir.errors import RunDirError
from rundir.state import RunState, Session
from selfplay.inference_server import InferenceServer
from selfplay.learner import Learner, load_model_bytes
from selfplay.placement import NodeResources, PlacementRequest, plan_placement
from tests.network.conftest import random_batch

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

TINY = NetworkConfig.tiny(5)
# Rates measured on this project's development CPU (AMD EPYC, no AMX), cpu9 at batch 64,
# and the figures on a Xeon with AMX (bfloat16 1.34x float32).
EPYC = {"float32": 828.0, "bfloat16": 425.0}
AMX = {"float32": 3356.0, "bfloat16": 4497.0}


def measuring(monkeypatch: pytest.MonkeyPatch, rates: dict[str, float]) -> None:
    """Make ``choose_precision``'s timing return ``rates`` (candidates are timed in turn,
    float32 first, then bfloat16, in each round), leaving the rest of the choice (models,
    outputs, accuracy) real."""
    order = itertools.cycle([rates["float32"], rates["bfloat16"]])
    monkeypatch.setattr(precision, "_timed_rate", lambda forward, x, budget_s: next(order))


@pytest.mark.parametrize(("rates", "expected"), [(EPYC, "float32"), (AMX, "bfloat16")])
def test_auto_servers_run_the_precision_the_measurement_says(monkeypatch, rates, expected):
    measuring(monkeypatch, rates)
    server = InferenceServer(TINY, precision="auto", precision_batch=8, seed=0)
    choice = asyncio.run(server.precision_choice())
    assert choice["precision"] == expected and not choice["forced"]
    assert choice["rates"] == rates and choice["batch"] == 8
    assert precision.precision_of(server.evaluator.model) == expected
    # float32 weights from a float32 learner load unchanged and give nearly its outputs.
    reference = Learner(TINY, TrainConfig(batch_size=8), seed=1)
    asyncio.run(server.set_weights(1, reference.weights()))
    boards, to_play, legal = random_batch(TINY, 6, seed=2)
    _, _, version = asyncio.run(server.evaluate(boards, to_play, legal))
    assert version == 1
    x = planes(boards, to_play)
    ours, theirs = server.evaluator.model(x), reference.trainer.model(x)
    divergence = precision.output_divergence(
        np.asarray(theirs["policy"]), np.asarray(theirs["value"])[:, 0],
        np.asarray(ours["policy"]), np.asarray(ours["value"])[:, 0])
    assert precision.within_bounds(divergence), divergence


def test_a_forced_precision_is_not_measured(monkeypatch):
    monkeypatch.setattr(precision, "_timed_rate", lambda *a: pytest.fail("measured"))
    server = InferenceServer(TINY, precision="bfloat16", seed=0)
    assert precision.precision_of(server.evaluator.model) == "bfloat16"
    assert asyncio.run(server.precision_choice())["forced"]
    learner = Learner(TINY, TrainConfig(batch_size=8), precision="float16")
    assert precision.precision_of(learner.trainer.model) == "float32"
    assert "loss scaling" in learner.precision_choice()["reason"]
    with pytest.raises(ValueError, match="got 'fp8'"):
        Learner(TINY, TrainConfig(batch_size=8), precision="fp8")


def test_a_bfloat16_learner_resumes_float32_bytes_and_saves_float32(monkeypatch):
    train = TrainConfig(batch_size=8, learning_rates=(0.05,), lr_boundaries=())
    start = Learner(TINY, train, seed=3).checkpoint({"note": "f32"})[:2]
    measuring(monkeypatch, AMX)
    learner = Learner(TINY, train, checkpoint=start, precision="auto")
    assert learner.precision_choice()["precision"] == "bfloat16"
    assert precision.precision_of(learner.trainer.model) == "bfloat16"
    boards, to_play, legal = random_batch(TINY, 8, seed=4)
    policy = legal / legal.sum(axis=1, keepdims=True)
    from selfplay.replay_buffer import TrainingBatch

    batch = TrainingBatch(boards, to_play, policy.astype(np.float32),
                          np.linspace(-1, 1, 8).astype(np.float32))
    logs = learner.train([batch, batch])
    assert logs["steps"] == 2 and np.isfinite(logs["total"])
    keras_bytes, json_bytes, weights = learner.checkpoint({"note": "bf16"})
    assert all(w.dtype == np.float32 for w in weights)
    model, meta = load_model_bytes((keras_bytes, json_bytes), expect=TINY)
    assert meta["precision"] == "bfloat16" and meta["training_steps"] == 2
    for a, b in zip(model.get_weights(), weights, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_the_run_config_state_and_placement_carry_the_precision(tmp_path):
    assert PipelineConfig().precision == "auto" and forced_precision("auto") is None
    assert forced_precision("bfloat16") == "bfloat16"
    with pytest.raises(ValueError, match="got 'bf16'"):
        PipelineConfig(precision="bf16")
    record = {"learner": {"precision": "float32", "forced": False, "reason": "measured"},
              "inference-0": {"precision": "bfloat16", "forced": True, "reason": "forced"}}
    state = RunState(sessions=(Session(started=1.0, precision=record),))
    assert RunState.from_json(state.to_json(), "state.json") == state
    bad = state.to_json()
    bad["sessions"][0]["precision"]["learner"]["precision"] = "float8"
    with pytest.raises(RunDirError, match="role 'learner'.*float8"):
        RunState.from_json(bad, "state.json")
    plan = plan_placement(PlacementRequest(workers=2), [NodeResources("n", 2.0, 0.0, True)])
    assert "precision: auto (measured" in plan.summary("auto")
    assert "precision: bfloat16 (forced" in plan.summary("bfloat16")
    assert "precision" not in plan.summary()


def test_a_checkpoint_loads_in_either_precision_for_gtp(tmp_path):
    from gtp.network_source import network_in_precision

    keras_bytes, json_bytes, weights = Learner(TINY, TrainConfig(batch_size=8), seed=3,
                                               precision="bfloat16").checkpoint({})
    path = tmp_path / "ckpt.keras"
    path.write_bytes(keras_bytes)
    (tmp_path / "ckpt.keras.json").write_bytes(json_bytes)
    for wanted in ("float32", "bfloat16"):
        model, _ = load_checkpoint(path)
        model, choice = network_in_precision(model, TINY, wanted)
        assert precision.precision_of(model) == wanted and choice.forced
        for a, b in zip(model.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(a, b)
