"""Playout cap randomization and forced playouts through the self-play loop, the game
records and the replay buffer; and that with them off the games are today's."""

import dataclasses
import hashlib
import io

import numpy as np
import pytest

from go import RulesConfig
from mcts import RandomValueEvaluator, SearchConfig, UniformEvaluator
from selfplay.game_loop import SelfPlayGames
from selfplay.game_record import GameRecord, GameRecordError
from selfplay.replay_buffer import ReplayBuffer

# moves and quantised policies of the first 4 games below, as the code played them before
# playout cap randomization and forced playouts existed (under the pass rule of
# mcts.passing: the code before both gives the same digest), re-pinned when the search
# gained the pass floor and stopped sampling passes it did not prefer (2026-12-03; it was
# afc8d8a6e344ac88 before)
GAMES_BEFORE = "ffb1e846a12f5c32"


def _games_digest(config: SearchConfig) -> str:
    loop = SelfPlayGames(RandomValueEvaluator(5, 2, seed=3), RulesConfig(5, 7.5, 30),
                         config, 4, seed=11)
    records = loop.play(min_games=4)
    h = hashlib.sha256()
    for record in records[:4]:
        for a in (record.moves, record.policy_offsets, record.policy_moves,
                  record.policy_probs):
            h.update(np.ascontiguousarray(a).tobytes())
        assert record.policy_target_mask().all()
    return h.hexdigest()[:16]


def test_with_both_techniques_off_self_play_is_unchanged():
    base = SearchConfig(num_simulations=24, add_noise=True, leaves_per_tree=2)
    assert _games_digest(base) == GAMES_BEFORE
    # a fast count without fast searches changes nothing (nothing is drawn)
    off = dataclasses.replace(base, full_search_fraction=1.0, fast_simulations=3,
                              forced_playout_k=0.0)
    assert _games_digest(off) == GAMES_BEFORE
    assert _games_digest(dataclasses.replace(base, forced_playout_k=2.0)) != GAMES_BEFORE


@pytest.fixture(scope="module")
def capped_games() -> tuple[SelfPlayGames, list[GameRecord]]:
    config = SearchConfig(num_simulations=16, fast_simulations=4, full_search_fraction=0.25,
                          add_noise=True, forced_playout_k=2.0)
    loop = SelfPlayGames(UniformEvaluator(5, 2), RulesConfig(5, 7.5, 40), config, 8, seed=2)
    records = loop.play(min_games=8)
    for i, record in enumerate(records):
        record.game_id = i
    return loop, records


def test_fast_moves_are_flagged_and_counted(capped_games):
    loop, records = capped_games
    masks = np.concatenate([r.policy_target_mask() for r in records])
    assert masks.dtype == np.bool_
    # ~300 moves at p = 0.25 (sd ~0.025)
    assert 0.15 < masks.mean() < 0.35, masks.mean()
    assert 0 < loop.policy_targets < loop.moves_played
    assert loop.policy_targets / loop.moves_played == pytest.approx(0.25, abs=0.1)


def test_the_flag_round_trips_and_old_files_read_as_all_recorded(capped_games, tmp_path):
    record = capped_games[1][0]
    back = GameRecord.from_npz(record.to_npz_bytes())
    assert back == record
    np.testing.assert_array_equal(back.policy_target_mask(), record.policy_target_mask())
    # a file written before the flag existed: every position was a policy target
    old = dataclasses.replace(record, policy_recorded=None, _checked=False)
    with np.load(io.BytesIO(old.to_npz_bytes())) as data:
        assert "policy_recorded" not in data.files
    assert GameRecord.from_npz(old.to_npz_bytes()).policy_target_mask().all()
    bad = dataclasses.replace(record, policy_recorded=np.ones(3, np.bool_), _checked=False)
    with pytest.raises(GameRecordError, match="policy_recorded has shape"):
        bad.to_npz_bytes()


def test_the_buffer_samples_the_flag_with_each_position(capped_games):
    record = dataclasses.replace(capped_games[1][0], _checked=False)
    # black's positions are policy targets, white's not
    record.policy_recorded = record.to_play() > 0
    buffer = ReplayBuffer(5, 2, 10_000, seed=1)
    buffer.add(record)
    for batch in (buffer.sample(200), buffer.sample_newest(200, 0)):
        np.testing.assert_array_equal(batch.policy_mask, batch.to_play > 0)
    # a record without the flag: all positions
    plain = dataclasses.replace(record, policy_recorded=None, game_id=1)
    digest_before = buffer.digest()
    buffer.add(plain)
    assert buffer.sample_newest(100, 1).policy_mask.all()
    assert buffer.digest() != digest_before
