"""A position reaches the optimiser transformed by exactly one board symmetry: the replay
buffer applies it, the learner's trainer does not apply another."""

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
