"""Game records, packed boards and the replay buffer, on real self-play games."""

import numpy as np
import pytest

from go import Position, RulesConfig
from mcts import SearchConfig, UniformEvaluator
from network import symmetry
from selfplay import packed_boards
from selfplay.game_loop import SelfPlayGames
from selfplay.game_record import QUANT, GameRecord, GameRecordError, quantise_policy
from selfplay.replay_buffer import ReplayBuffer

HISTORY = 3


@pytest.fixture(scope="module")
def games() -> list[GameRecord]:
    """Twelve finished 5x5 games of a uniform-prior search, numbered 0..11."""
    loop = SelfPlayGames(UniformEvaluator(5, HISTORY), RulesConfig(5, 7.5, 60),
                         SearchConfig(num_simulations=12, add_noise=True,
                                      resign_threshold=-0.95), num_games=6, seed=4)
    records = loop.play(min_games=12)[:12]
    for i, record in enumerate(records):
        record.game_id = i
    return records


def positions_of(record: GameRecord) -> list[Position]:
    """The position before each move, replayed with the rules engine."""
    out = [Position.new(record.board_size, record.komi, max_moves=60)]
    for move in record.moves[:-1]:
        out.append(out[-1].play(int(move)))
    return out


def test_pack_unpack_round_trip_on_every_size():
    rng = np.random.default_rng(0)
    for n in range(2, 20):
        boards = rng.integers(-1, 2, (7, n * n)).astype(np.int8)
        packed = packed_boards.pack(boards)
        assert packed.shape == (7, packed_boards.packed_size(n)) and packed.dtype == np.uint8
        assert np.array_equal(packed_boards.unpack(packed, n * n), boards)
    assert packed_boards.packed_size(19) == 91 and packed_boards.packed_size(9) == 21


def test_replayed_boards_match_the_rules_engine(games):
    for record in games:
        boards = packed_boards.replay_boards(5, record.moves)
        expected = [p.flat_board for p in positions_of(record)]
        assert np.array_equal(boards, np.array(expected))
    bad = games[0].moves.copy()
    bad[2] = bad[1] if bad[1] != 25 else bad[0]  # a stone on an occupied point
    if bad[2] == 25:
        bad[2] = bad[0]
    with pytest.raises(ValueError, match="game 7: move 2 .* is illegal"):
        packed_boards.replay_boards(5, bad, "game 7")


def test_records_are_consistent_and_round_trip_through_npz(games, tmp_path):
    for record in games:
        final = positions_of(record)[-1].play(int(record.moves[-1]))
        if record.resigned:
            assert record.winner == -record.resigned and record.result_string().endswith("+R")
        else:
            assert final.is_over() and record.score == final.score()
            assert record.winner == final.winner()
        for t in range(record.num_positions):
            p = record.policy(t)
            assert p.sum() == pytest.approx(1.0) and p[record.moves[t]] > 0
        path = tmp_path / f"{record.game_id}.npz"
        path.write_bytes(record.to_npz_bytes())
        again = GameRecord.from_npz(path)
        assert again == record and again.value_targets().tolist() == \
            (record.to_play() * record.winner).tolist()
    with np.load(path) as data:
        assert "allow_pickle" not in data.files and data["moves"].dtype == np.int16


def test_a_truncated_or_tampered_game_file_is_refused_by_name(games, tmp_path):
    data = games[0].to_npz_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(GameRecordError, match=f"{truncated}: not a readable .npz"):
        GameRecord.from_npz(truncated)
    with pytest.raises(GameRecordError, match="missing"):
        GameRecord.from_npz(tmp_path / "absent.npz")
    arrays = dict(np.load(__import__("io").BytesIO(data)))
    arrays["policy_offsets"] = arrays["policy_offsets"][:-1]
    tampered = tmp_path / "tampered.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(GameRecordError, match=f"{tampered}: policy_offsets do not describe"):
        GameRecord.from_npz(tampered)
    arrays = dict(np.load(__import__("io").BytesIO(data)))
    arrays["moves"] = arrays["moves"].astype(np.float64)
    np.savez(tampered, **arrays)
    with pytest.raises(GameRecordError, match="array 'moves' is float64"):
        GameRecord.from_npz(tampered)


def test_quantised_policies_stay_within_one_part_in_65535():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.full(82, 0.3)).astype(np.float32)
    p[rng.random(82) < 0.5] = 0
    p /= p.sum()
    moves, probs = quantise_policy(p)
    back = np.zeros(82)
    back[moves] = probs / probs.sum()
    assert np.abs(back - p).max() < 2 / QUANT
    with pytest.raises(ValueError, match="non-negative distribution"):
        quantise_policy(np.zeros(82))


def test_the_window_keeps_the_smallest_suffix_of_games_that_fills_it(games):
    window = 100
    buffer = ReplayBuffer(5, HISTORY, window, seed=0)
    for k, record in enumerate(games):
        buffer.add(record)
        kept = buffer.game_ids()
        lengths = [games[i].num_positions for i in kept]
        assert kept == list(range(kept[0], k + 1))  # newest games, in order
        assert len(buffer) == sum(lengths)
        if sum(g.num_positions for g in games[: k + 1]) >= window:
            assert len(buffer) >= window > len(buffer) - lengths[0]
    rebuilt = ReplayBuffer.rebuild(reversed(games), 5, HISTORY, window)
    assert rebuilt.game_ids() == buffer.game_ids()
    assert rebuilt.digest() == buffer.digest()
    assert ReplayBuffer.rebuild(reversed(games[:-1]), 5, HISTORY, window).digest() != \
        buffer.digest()
    with pytest.raises(ValueError, match="buffer holds 7x7"):
        ReplayBuffer(7, HISTORY, window).add(games[0])


def expected_samples(record: GameRecord) -> list[tuple]:
    """(history boards, to_play, value, policy) of every position of a game."""
    out = []
    for t, position in enumerate(positions_of(record)):
        out.append((position.recent_boards(HISTORY), position.to_play,
                    record.winner * position.to_play, record.policy(t)))
    return out


def test_samples_rebuild_history_targets_and_symmetries(games):
    record = games[3]
    buffer = ReplayBuffer(5, HISTORY, 10_000, seed=2)
    buffer.add(record)
    table = expected_samples(record)
    for symmetries in (False, True):
        batch = buffer.sample(256, symmetries=symmetries)
        assert batch.boards.shape == (256, HISTORY, 5, 5) and batch.boards.dtype == np.int8
        assert batch.policy.shape == (256, 26) and batch.value.dtype == np.float32
        found_ks = set()
        for i in range(256):
            matches = [
                k for boards, to_play, value, policy in table for k in range(8)
                if to_play == batch.to_play[i] and value == batch.value[i]
                and np.array_equal(symmetry.transform_boards(boards, k), batch.boards[i])
                and np.allclose(symmetry.transform_policy(policy, k, 5), batch.policy[i],
                                atol=1e-6)]
            assert matches, f"sample {i} is no position of the game under any symmetry"
            found_ks.update(matches)
        assert (found_ks == {0}) if not symmetries else len(found_ks) == 8


def test_sampling_is_uniform_over_positions(games):
    buffer = ReplayBuffer(5, HISTORY, 10_000, seed=5)
    long_game = max(games, key=lambda g: g.num_positions)
    short_game = min(games, key=lambda g: g.num_positions)
    buffer.add(long_game)
    buffer.add(short_game)
    batch = buffer.sample(20_000, symmetries=False)
    # the empty board (first position of both games) aside, black's first-move boards differ
    share_short = np.mean([b[0].sum() == 0 and b[1].sum() == 0 and t == 1
                           for b, t in zip(batch.boards, batch.to_play, strict=True)])
    assert share_short == pytest.approx(2 / len(buffer), abs=0.01)
    bpp = buffer.bytes_per_position()
    assert 10 < bpp < 200, bpp


def test_a_19x19_position_fits_in_1kb_even_when_every_move_was_visited():
    rng = np.random.default_rng(7)
    position, moves, policies = Position.new(19), [], []
    for _ in range(120):
        legal = np.flatnonzero(position.legal_moves()[:-1])
        move = int(rng.choice(legal))
        policies.append(quantise_policy(np.full(362, 1 / 362, np.float32)))
        moves.append(move)
        position = position.play(move)
    record = GameRecord.from_policies(19, 7.5, moves, policies, winner=1, score=2.5,
                                      game_id=0)
    buffer = ReplayBuffer(19, 8, 10_000, seed=0)
    buffer.add(record)
    assert buffer.bytes_per_position() <= 1024, buffer.bytes_per_position()
    batch = buffer.sample(8, symmetries=False)
    np.testing.assert_allclose(batch.policy, 1 / 362, rtol=1e-4)
