"""The learner and the inference server as plain classes, with real TensorFlow."""

import asyncio

import numpy as np
import pytest

from go import RulesConfig
from mcts import SearchConfig, UniformEvaluator
from network.config import NetworkConfig, TrainConfig
from selfplay.game_loop import SelfPlayGames
from selfplay.inference_server import InferenceServer
from selfplay.learner import Learner, load_model_bytes
from selfplay.replay_buffer import ReplayBuffer

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

TINY = NetworkConfig.tiny(5)


@pytest.fixture(scope="module")
def buffer() -> ReplayBuffer:
    loop = SelfPlayGames(UniformEvaluator(5, TINY.history_length), RulesConfig(5, 7.5, 50),
                         SearchConfig(num_simulations=8, add_noise=True), 4, seed=0)
    buf = ReplayBuffer(5, TINY.history_length, 10_000, seed=0)
    for i, record in enumerate(loop.play(min_games=6)):
        record.game_id = i
        buf.add(record)
    return buf


def test_a_learner_restored_from_its_bytes_continues_exactly(buffer):
    train = TrainConfig(batch_size=16, learning_rates=(0.05,), lr_boundaries=())
    learner = Learner(TINY, train, seed=3)
    first = learner.train([buffer.sample(16) for _ in range(3)])
    assert first["steps"] == 3 and first["samples"] == 48
    keras_bytes, json_bytes, weights = learner.checkpoint({"note": "x"})
    model, meta = load_model_bytes((keras_bytes, json_bytes), expect=TINY)
    assert meta["training_steps"] == 3 and meta["note"] == "x"
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    restored = Learner(TINY, train, checkpoint=(keras_bytes, json_bytes), seed=3)
    assert restored.steps == 3
    batch = buffer.sample(16, symmetries=False)
    train_fixed = TrainConfig(batch_size=16, learning_rates=(0.05,), lr_boundaries=(),
                              augment=False)
    twins = [Learner(TINY, train_fixed, checkpoint=(keras_bytes, json_bytes)) for _ in "ab"]
    logs = [t.train([batch]) for t in twins]
    assert logs[0]["total"] == pytest.approx(logs[1]["total"])
    for a, b in zip(twins[0].weights(), twins[1].weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # The optimizer's momentum came back too: a fresh optimizer on the same weights moves
    # them differently.
    fresh = Learner(TINY, train_fixed)
    fresh.trainer.model.set_weights(weights)
    fresh.train([batch])
    moved = [np.abs(a - b).max() for a, b in zip(fresh.weights(), twins[0].weights(),
                                                  strict=True)]
    assert max(moved) > 1e-6
    with pytest.raises(ValueError, match="expected NetworkConfig"):
        load_model_bytes((keras_bytes, json_bytes), expect=NetworkConfig.tiny(5, 3))


def run(coro):
    return asyncio.run(coro)


def test_the_server_batches_concurrent_requests_and_routes_each_answer():
    server = InferenceServer(TINY, clients=6, wait_ms=50.0, seed=0)
    rng = np.random.default_rng(0)

    def request(i):
        boards = rng.integers(-1, 2, (i + 1, 2, 5, 5)).astype(np.int8)
        to_play = np.ones(i + 1, np.int8)
        legal = np.zeros((i + 1, 26), bool)
        legal[:, i] = True  # request i may only play point i (or pass)
        legal[:, 25] = True
        return boards, to_play, legal

    async def many():
        return await asyncio.gather(*(server.evaluate(*request(i)) for i in range(6)))

    answers = run(many())
    stats = run(server.stats())
    assert stats["requests"] == 6 and stats["positions"] == 21
    assert stats["batches"] < 6, stats  # concurrent requests shared network calls
    for i, (priors, values, version) in enumerate(answers):
        assert priors.shape == (i + 1, 26) and values.shape == (i + 1,) and version == 0
        assert np.all(priors[:, [m for m in range(25) if m != i]] == 0)
        np.testing.assert_allclose(priors.sum(axis=1), 1.0, rtol=1e-5)
        assert np.all(np.abs(values) <= 1)


def test_the_server_waits_for_weights_then_serves_the_newest_version():
    import keras

    from network import build_model

    keras.utils.set_random_seed(5)
    other = build_model(TINY).get_weights()
    server = InferenceServer(TINY, wait_for_weights=True, seed=0)
    boards = np.zeros((1, 2, 5, 5), np.int8)
    legal = np.ones((1, 26), bool)

    async def scenario():
        pending = asyncio.ensure_future(server.evaluate(boards, np.ones(1, np.int8), legal))
        await asyncio.sleep(0.2)
        assert not pending.done() and await server.get_version() == -1
        assert await server.set_weights(2, other) == 2
        _, _, version = await asyncio.wait_for(pending, 30)
        assert version == 2
        assert await server.set_weights(1, other) == 2  # an older announcement is ignored
        with pytest.raises(ValueError, match="version must be >= 0"):
            await server.set_weights(-1, other)

    run(scenario())
    for a, b in zip(server.evaluator.model.get_weights(), other, strict=True):
        np.testing.assert_array_equal(a, b)
