"""Final ownership and score targets: stored in game records, served by the replay buffer
from the player to move's point of view with the same symmetry as the boards."""

import io

import numpy as np
import pytest

from go import Position, RulesConfig
from mcts import SearchConfig, UniformEvaluator
from network import symmetry
from selfplay.game_loop import SelfPlayGames
from selfplay.game_record import GameRecord, GameRecordError
from selfplay.replay_buffer import ReplayBuffer


@pytest.fixture(scope="module")
def games() -> list[GameRecord]:
    """Finished 5x5 games of a uniform-prior search (some resigned), numbered 0.."""
    loop = SelfPlayGames(UniformEvaluator(5, 2), RulesConfig(5, 7.5, 60),
                         SearchConfig(num_simulations=8, add_noise=True,
                                      resign_threshold=-0.9), num_games=6, seed=11)
    records = loop.play(min_games=8)[:8]
    for i, record in enumerate(records):
        record.game_id = i
    return records


def final_position(record: GameRecord) -> Position:
    position = Position.new(record.board_size, record.komi, max_moves=60)
    for move in record.moves:
        position = position.play(int(move))
    return position


def test_scored_games_store_the_final_tromp_taylor_ownership(games):
    scored = [r for r in games if not r.resigned]
    assert scored, "no scored game among the fixture's games"
    for record in games:
        if record.resigned:
            assert len(record.ownership) == 0 and record.ownership_targets() is None
            continue
        final = final_position(record)
        assert np.array_equal(record.ownership, final.ownership().ravel())
        # The owners add up to the area score: the komi is all that separates them.
        assert record.ownership.sum() - record.komi == pytest.approx(record.score)
        targets = record.ownership_targets()
        to_play = record.to_play()
        assert np.array_equal(targets[to_play == 1][0], record.ownership.reshape(5, 5))
        assert np.array_equal(targets[to_play == -1][0], -record.ownership.reshape(5, 5))
        assert np.allclose(record.score_targets(), to_play * record.score)


def test_ownership_round_trips_and_old_files_load_without_it(games, tmp_path):
    record = next(r for r in games if not r.resigned)
    again = GameRecord.from_npz(record.to_npz_bytes())
    assert again == record and np.array_equal(again.ownership, record.ownership)
    # A file written before the field existed: the same arrays without "ownership".
    with np.load(io.BytesIO(record.to_npz_bytes()), allow_pickle=False) as data:
        old = {k: data[k] for k in data.files if k != "ownership"}
    buf = io.BytesIO()
    np.savez_compressed(buf, **old)
    loaded = GameRecord.from_npz(buf.getvalue(), "old.npz")
    assert len(loaded.ownership) == 0 and loaded.ownership_targets() is None
    bad = dict(old, ownership=np.full(25, 2, np.int8))
    buf = io.BytesIO()
    np.savez_compressed(buf, **bad)
    with pytest.raises(GameRecordError, match="bad.npz: ownership must be"):
        GameRecord.from_npz(buf.getvalue(), "bad.npz")


def test_buffer_serves_targets_for_the_player_to_move_under_the_boards_symmetry(games):
    buffer = ReplayBuffer(5, 2, window=10_000, seed=3)
    for record in games:
        buffer.add(record)
    plain = buffer.sample_newest(400, 0)
    assert plain.ownership.shape == (400, 5, 5) and plain.score.shape == (400,)
    # Unsymmetrised: each sample's targets are its game's, signed by the player to move.
    for i in range(400):
        current = plain.boards[i, 0]
        matches = [r for r in games
                   if any(np.array_equal(b.board, current) and b.to_play == plain.to_play[i]
                          for b in _positions(r))]
        assert matches
        record = matches[0]
        if record.resigned:
            assert np.all(np.isnan(plain.ownership[i])) and np.isnan(plain.score[i])
        elif all(not r.resigned for r in matches) and len(
                {r.ownership.tobytes() for r in matches}) == 1:
            assert np.array_equal(plain.ownership[i],
                                  plain.to_play[i] * record.ownership.reshape(5, 5))
    batch = buffer.sample(300)
    # Symmetrised: undoing one of the 8 symmetries must turn the current board into a
    # position of a game and, with the same symmetry, the ownership into that game's map.
    known = ~np.isnan(batch.score)
    assert known.any()
    for i in np.flatnonzero(known):
        record_maps = [r.ownership.reshape(5, 5) * batch.to_play[i] for r in games
                       if not r.resigned]
        found = False
        for k in range(8):
            board = symmetry.inverse_boards(batch.boards[i, 0], k)
            own = symmetry.inverse_boards(batch.ownership[i], k)
            for r, m in zip([r for r in games if not r.resigned], record_maps, strict=True):
                if np.array_equal(own, m) and any(
                        np.array_equal(p.board, board) for p in _positions(r)):
                    found = True
        assert found, f"sample {i}: ownership not aligned with its boards"


def _positions(record: GameRecord) -> list[Position]:
    out = [Position.new(record.board_size, record.komi, max_moves=60)]
    for move in record.moves[:-1]:
        out.append(out[-1].play(int(move)))
    return out
