"""What reaches the learner: each position transformed by exactly one board symmetry (the
replay buffer applies it, the learner's trainer does not apply another), and held-out
positions of the newest games, evaluated before the learner trains on them."""

import numpy as np
import pytest

from go import RulesConfig
from mcts import SearchConfig, UniformEvaluator
from network import symmetry
from network.config import NetworkConfig, TrainConfig
from network.features import planes
from selfplay.game_loop import SelfPlayGames
from selfplay.learner import Learner
from selfplay.replay_buffer import ReplayBuffer

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

TINY = NetworkConfig.tiny(5)
SEED, BATCH = 11, 32


def buffers() -> tuple[ReplayBuffer, ReplayBuffer]:
    """Two buffers holding the same games, with the same sampling seed."""
    loop = SelfPlayGames(UniformEvaluator(5, TINY.history_length), RulesConfig(5, 7.5, 50),
                         SearchConfig(num_simulations=8, add_noise=True), 4, seed=1)
    records = loop.play(min_games=4)
    out = []
    for _ in range(2):
        buf = ReplayBuffer(5, TINY.history_length, 10_000, seed=SEED)
        for i, record in enumerate(records):
            record.game_id = i
            buf.add(record)
        out.append(buf)
    return out[0], out[1]


def test_a_batch_reaches_the_optimiser_transformed_exactly_once(monkeypatch):
    augmented, plain = buffers()
    batch = augmented.sample(BATCH)  # symmetries on, as the driver samples
    raw = plain.sample(BATCH, symmetries=False)  # the same picks, untransformed
    rng = np.random.default_rng(SEED)
    rng.integers(len(plain), size=BATCH)  # the picks
    ks = rng.integers(symmetry.NUM_SYMMETRIES, size=BATCH)
    assert len(set(ks.tolist())) > 1 and np.any(ks != 0)
    np.testing.assert_array_equal(batch.boards, symmetry.transform_boards_each(raw.boards, ks))
    np.testing.assert_allclose(batch.policy, symmetry.transform_policy_each(raw.policy, ks, 5))

    learner = Learner(TINY, TrainConfig(batch_size=BATCH, augment=True), seed=0)
    model = learner.trainer.model
    seen = []
    original = model.train_on_batch

    def spy(x, y, **kwargs):
        seen.append((np.array(x), np.array(y["policy"])))
        return original(x, y, **kwargs)

    monkeypatch.setattr(model, "train_on_batch", spy)
    learner.train([batch])
    (x, policy), = seen
    np.testing.assert_array_equal(x, planes(batch.boards, batch.to_play))
    np.testing.assert_array_equal(policy, batch.policy)
    assert not np.array_equal(x, planes(raw.boards, raw.to_play))  # it was transformed


def test_held_out_positions_come_from_the_newest_games_only():
    buf, twin = buffers()
    ids = buf.game_ids()
    newest = ids[-1]
    assert buf.sample_newest(8, newest + 1) is None
    batch = buf.sample_newest(64, newest)
    record_values = {float(v) for v in buf._games[-1].values}
    assert set(batch.value.tolist()) <= record_values
    # Every sampled board is one of the newest game's positions, untransformed.
    game = buf._games[-1]
    from selfplay import packed_boards

    boards = packed_boards.unpack(game.boards, 25).reshape(-1, 5, 5)
    for b in batch.boards[:, 0]:
        assert any(np.array_equal(b, x) for x in boards)
    # Drawing held-out samples leaves the training samples as they were.
    a, b = buf.sample(16), twin.sample(16)
    np.testing.assert_array_equal(a.boards, b.boards)
    with pytest.raises(ValueError, match="batch size must be at least 1, got 0"):
        buf.sample_newest(0, 0)


def test_the_learner_reports_held_out_losses_before_it_trains():
    buf, _ = buffers()
    learner = Learner(TINY, TrainConfig(batch_size=16, learning_rates=(0.1,),
                                        lr_boundaries=()), seed=0)
    heldout = buf.sample_newest(16, buf.game_ids()[-2])
    out = learner.trainer.model.predict_on_batch(planes(heldout.boards, heldout.to_play))
    value = np.asarray(out["value"])[:, 0]
    logits = np.asarray(out["policy"], np.float64)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected_value = np.mean((heldout.value - value) ** 2)
    expected_policy = -np.mean(np.sum(heldout.policy * log_p, axis=1))
    logs = learner.train([buf.sample(16) for _ in range(3)], heldout)
    assert logs["heldout_value"] == pytest.approx(expected_value, rel=1e-5)
    assert logs["heldout_policy"] == pytest.approx(expected_policy, rel=1e-5)
    after = learner.evaluate(heldout)  # the network has moved since
    assert after["heldout_policy"] != pytest.approx(expected_policy, rel=1e-5)
    assert "heldout_value" not in learner.train([buf.sample(16)])


def test_the_learner_masks_the_policy_of_fast_searches():
    buf, _ = buffers()
    learner = Learner(TINY, TrainConfig(batch_size=16, learning_rates=(0.1,),
                                        lr_boundaries=()), seed=0)
    batch = buf.sample(16)
    mask = np.arange(16) % 4 == 0
    policy = np.where(mask[:, None], batch.policy, 0.0).astype(np.float32)
    masked = batch._replace(policy=policy, policy_mask=mask)
    out = learner.trainer.model.predict_on_batch(planes(batch.boards, batch.to_play))
    logits = np.asarray(out["policy"], np.float64)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(np.sum(batch.policy * log_p, axis=1)[mask])
    assert learner.evaluate(masked)["heldout_policy"] == pytest.approx(expected, rel=1e-5)
    assert "heldout_policy" not in learner.evaluate(masked._replace(policy_mask=~mask & mask))
    # rows outside the mask need not be distributions: they are not targets
    logs = learner.train([masked])
    assert np.isfinite(logs["policy"]) and logs["steps"] == 1
    with pytest.raises(ValueError, match="policy_target rows"):
        learner.train([masked._replace(policy_mask=None)])


def test_a_checkpoint_carries_batch_norm_statistics_of_the_latest_batches():
    """Before writing a checkpoint the learner recalibrates batch norm on its latest
    training batches: the saved network, in inference mode, then normalises the last
    batch as training mode does (up to the other batches' share of the statistics), where
    the moving averages of a few steps are still near their start (mean 0, variance 1)."""
    from selfplay.learner import RECALIBRATION_BATCHES, load_model_bytes

    buf, _ = buffers()
    learner = Learner(TINY, TrainConfig(batch_size=16, learning_rates=(0.05,),
                                        lr_boundaries=()), seed=0)
    batch = buf.sample(16)
    learner.train([batch] * 3)
    x = planes(batch.boards, batch.to_play)
    model = learner.trainer.model
    trained = np.asarray(model(x, training=True)["policy"])
    lagging = np.asarray(model(x, training=False)["policy"])
    keras_bytes, json_bytes, weights = learner.checkpoint({"generation": 1})
    loaded, _ = load_model_bytes((keras_bytes, json_bytes))
    saved = np.asarray(loaded(x, training=False)["policy"])
    assert np.abs(saved - trained).max() < 0.01 < np.abs(lagging - trained).max()
    # the weights handed to the inference servers are the recalibrated ones
    for a, b in zip(weights, loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert RECALIBRATION_BATCHES >= 8
