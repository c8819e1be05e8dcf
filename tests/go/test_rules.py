"""Rules cases drawn as ASCII boards: captures, snapback, suicide, ko, superko, seki,
passes, game end, scoring with komi, and the messages of illegal moves."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from go import IllegalMove, Position, RulesConfig, parse_diagram
from go.coords import from_gtp


def mv(vertex: str, position: Position) -> int:
    return from_gtp(vertex, position.size)


def play_all(position: Position, *vertices: str) -> Position:
    for vertex in vertices:
        position = position.play(mv(vertex, position))
    return position


def assert_board(position: Position, diagram: str) -> None:
    expected = parse_diagram(diagram).board
    assert np.array_equal(position.board, expected), f"\n{position}\n!=\n{diagram}"


# ---------------------------------------------------------------------------- captures
def test_single_stone_capture_in_the_corner() -> None:
    p = parse_diagram("""
        O X . .
        . . . .
        . . . .
        . . . .""")
    q = p.play(mv("A3", p))
    assert_board(q, """
        . X . .
        X . . .
        . . . .
        . . . .""")
    assert q.to_play == -1 and q.last_move == mv("A3", p)
    # The earlier position is untouched and still playable.
    assert p.board[0, 0] == -1 and p.play(mv("D1", p)).board[3, 3] == 1


def test_multi_stone_chain_capture() -> None:
    p = parse_diagram("""
        O O O . .
        X X X X .
        . . . . .
        . . . . .
        . . . . .""")
    q = p.play(mv("D5", p))
    assert_board(q, """
        . . . X .
        X X X X .
        . . . . .
        . . . . .
        . . . . .""")


def test_one_move_captures_two_chains() -> None:
    p = parse_diagram("""
        O X . X O
        . O . O .
        . . . . .
        . . . . .
        . . . . .""", to_play=-1)
    q = p.play(mv("C5", p))
    assert_board(q, """
        O . O . O
        . O . O .
        . . . . .
        . . . . .
        . . . . .""")


def test_capture_that_looks_like_suicide_is_legal() -> None:
    p = parse_diagram("""
        . O X .
        O X . .
        X . . .
        . . . .""")
    # Black at A4 has no liberty of its own, but the white A3 and B4 stones had A4 as
    # their last liberty: it captures both.
    assert p.is_legal(mv("A4", p))
    q = p.play(mv("A4", p))
    assert_board(q, """
        X . X .
        . X . .
        X . . .
        . . . .""")


def test_snapback() -> None:
    p = parse_diagram("""
        . . O X .
        O O O X .
        X X X X .
        . . . . .
        . . . . .""")
    throw_in = p.play(mv("B5", p))  # black stone in atari; white chain now in atari too
    captured = throw_in.play(mv("A5", throw_in))  # white takes the one stone...
    assert_board(captured, """
        O . O X .
        O O O X .
        X X X X .
        . . . . .
        . . . . .""")
    snapback = captured.play(mv("B5", captured))  # ...and black takes five back
    assert_board(snapback, """
        . X . X .
        . . . X .
        X X X X .
        . . . . .
        . . . . .""")


# ---------------------------------------------------------------------------- suicide
def test_single_stone_suicide_is_illegal() -> None:
    p = parse_diagram("""
        . O .
        O . .
        . . .""")
    assert not p.is_legal(0)
    assert not p.legal_moves()[0]
    with pytest.raises(IllegalMove, match=r"illegal move A3 \(0\): suicide"):
        p.play(0)


def test_multi_stone_suicide_is_illegal() -> None:
    p = parse_diagram("""
        X X . O
        O O O O
        . . . .
        . . . .""")
    with pytest.raises(IllegalMove, match="suicide"):
        p.play(mv("C4", p))
    # White may play there: it captures the two black stones.
    q = parse_diagram(str(p), to_play=-1).play(mv("C4", p))
    assert q.board[0, 0] == 0 and q.board[0, 1] == 0


# ---------------------------------------------------------------------------- ko, superko
KO = """
    . X O . .
    X O . O .
    . X O . .
    . . . . .
    . . . . ."""


def test_simple_ko_forbids_the_immediate_recapture() -> None:
    p = parse_diagram(KO)
    took = p.play(mv("C4", p))  # black takes the ko
    assert took.board[1, 1] == 0
    assert not took.is_legal(mv("B4", took))
    with pytest.raises(IllegalMove, match=r"B4 .*superko"):
        took.play(mv("B4", took))
    # After a ko threat exchange, white may retake.
    later = play_all(took, "E1", "D1")
    assert later.is_legal(mv("B4", later))
    retaken = later.play(mv("B4", later))
    assert retaken.board[1, 2] == 0 and retaken.board[1, 1] == -1


def test_triple_ko_cycle_is_stopped_by_positional_superko() -> None:
    # Three kos: A (top left) and C (bottom left) hold a white stone, B (top right) a black
    # one. Black takes A, white takes B, black takes C, white retakes A, black retakes B:
    # white retaking C would recreate the starting board, forbidden by positional superko
    # although simple ko allows it (the last capture was elsewhere).
    start = parse_diagram("""
        . X O . . . X O .
        X O . O . X . X O
        . X O . . . X O .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . X O . . . . . .
        X O . O . . . . .
        . X O . . . . . .""")
    p = play_all(start, "C8", "G8", "C2", "B8", "H8")
    assert p.to_play == -1
    retake_c = mv("B2", p)
    assert not p.legal_moves()[retake_c]
    with pytest.raises(IllegalMove, match=r"B2 .*superko"):
        p.play(retake_c)
    # The same board without the history allows the move: superko is about the game.
    fresh = parse_diagram(str(p), to_play=-1)
    assert fresh.is_legal(retake_c)
    assert np.array_equal(fresh.play(retake_c).board, start.board)


# ---------------------------------------------------------------------------- scoring
SEKI = """
    X . O X . X
    X . O X X X
    X X O X . X
    O O O X X X
    X X X X . X
    . X . X X X"""


def test_seki_scored_under_area_rules() -> None:
    p = parse_diagram(SEKI, komi=0.5)
    # 23 black stones + 5 one-point eyes; 6 white stones; A6 and B5 are shared: nobody's.
    assert p.area() == 28 - 6
    assert p.score() == 21.5 and p.result_string() == "B+21.5" and p.winner() == 1
    # Either side filling a shared liberty puts its own chain in atari and loses it.
    black_fills = p.play(mv("B6", p))
    white_takes = black_fills.play(mv("B5", black_fills))
    assert np.count_nonzero(white_takes.board[:3, :2] == 1) == 0
    white_fills = parse_diagram(SEKI, komi=0.5, to_play=-1).play(mv("B6", p))
    black_takes = white_fills.play(mv("B5", white_fills))
    assert np.count_nonzero(black_takes.board == -1) == 0


def test_area_score_with_komi_and_draws() -> None:
    board = """
        X X O . .
        . X O . .
        X X O . .
        . X O O O
        X X O . ."""
    # Black: 8 stones + 2 empty points = 10; white: 7 stones + 8 empty points = 15.
    assert parse_diagram(board, komi=7.5).score() == 10 - 15 - 7.5
    assert parse_diagram(board, komi=7.5).result_string() == "W+12.5"
    assert parse_diagram(board, komi=-7.5).result_string() == "B+2.5"
    draw = parse_diagram(board, komi=-5)
    assert draw.score() == 0 and draw.winner() == 0 and draw.result_string() == "0"


def test_empty_board_and_dame() -> None:
    p = Position.new(9, 7.5)
    assert p.area() == 0 and p.result_string() == "W+7.5"
    # One stone owns the whole board under Tromp-Taylor rules.
    assert p.play(40).area() == 81
    # An empty region touching both colours is dame.
    assert parse_diagram("X . O\n. . .\n. . .").area() == 0


# ---------------------------------------------------------------------------- passes, end
def test_passes_end_the_game() -> None:
    p = Position.new(5, 0.5)
    one = p.play(p.pass_move)
    assert one.passes == 1 and one.to_play == -1 and not one.is_over()
    assert np.array_equal(one.board, p.board)
    assert one.legal_moves()[one.pass_move] and one.legal_moves().sum() == 26
    again = one.play(12)  # a stone resets the pass count
    assert again.passes == 0
    two = again.play(again.pass_move).play(again.pass_move)
    assert two.is_over() and two.passes == 2
    assert not two.legal_moves().any()
    with pytest.raises(IllegalMove, match="game over"):
        two.play(0)
    with pytest.raises(IllegalMove, match="game over"):
        two.play(two.pass_move)
    assert two.moves() == [p.pass_move, 12, p.pass_move, p.pass_move]
    assert two.result_string() == "W+25.5"  # the white stone owns the board


def test_move_limit_ends_and_scores_the_game() -> None:
    p = Position.from_rules(RulesConfig(size=5, komi=0.5, max_moves=3))
    p = play_all(p, "C3", "pass", "A1")
    assert p.is_over() and p.passes == 0 and p.move_number == 3
    assert not p.legal_moves().any()
    with pytest.raises(IllegalMove, match="game over"):
        p.play(0)
    assert p.score() == 24.5


def test_history_and_recent_boards() -> None:
    p = play_all(Position.new(5), "A5", "B5", "pass")
    boards = p.recent_boards(5)
    assert boards.shape == (5, 5, 5) and boards.dtype == np.int8
    assert np.array_equal(boards[0], p.board) and np.array_equal(boards[1], p.board)
    assert boards[2][0, 0] == 1 and boards[2][0, 1] == 0
    assert not boards[3].any() and not boards[4].any()
    assert p.root().move_number == 0 and len(p.board_hashes) == 3


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("move", "message"),
    [
        (-1, r"illegal move -1: out of range 0\.\.81"),
        (82, r"illegal move 82: out of range 0\.\.81"),
        ("D4", r"illegal move 'D4': not a move index"),
        (2.0, r"illegal move 2\.0: not a move index"),
        (True, r"illegal move True: not a move index"),
    ],
)
def test_bad_move_values_are_named(move: object, message: str) -> None:
    with pytest.raises(IllegalMove, match=message) as info:
        Position.new(9).play(move)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError) and info.value.move == move


def test_occupied_point_is_named_in_gtp_and_index() -> None:
    p = Position.new(9).play(mv("E5", Position.new(9)))
    with pytest.raises(IllegalMove, match=r"illegal move E5 \(40\): occupied") as info:
        p.play(40)
    assert info.value.reason == "occupied"


def test_bad_setups_and_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="between 2 and 19, got 25"):
        Position.new(25)
    with pytest.raises(ValueError, match="without liberties"):
        parse_diagram("X O\nO .")
    with pytest.raises(ValueError, match="given twice"):
        Position.setup(5, black=[3], white=[3])
    with pytest.raises(ValueError, match="row 2"):
        parse_diagram("X . .\n. .\n. . .")
    with pytest.raises(ValueError, match="'Z'"):
        parse_diagram("X . .\n. Z .\n. . .")


def test_long_games_pickle_and_copy() -> None:
    rng = np.random.default_rng(3)
    position = Position.setup(19, 6.5, black=[60, 300], to_play=-1, max_moves=900)
    while position.move_number < 600 and not position.is_over():
        legal = np.flatnonzero(position.legal_moves()[:-1])
        position = position.play(int(legal[rng.integers(len(legal))]))
    for clone in (pickle.loads(pickle.dumps(position)), copy.deepcopy(position)):
        assert clone is not position and clone.moves() == position.moves()
        assert np.array_equal(clone.board, position.board)
        assert np.array_equal(clone.board_hashes, position.board_hashes)
        assert (clone.to_play, clone.komi, clone.max_moves, clone.move_number) == (
            position.to_play, position.komi, position.max_moves, position.move_number)
        assert np.array_equal(clone.legal_moves(), position.legal_moves())
        assert clone.root().board[3, 3] == 1


def test_branches_keep_their_own_history() -> None:
    root = Position.new(5)
    a = root.play(0)
    b = root.play(1)  # a branch: must not see a's board in its history
    a2 = a.play(2)
    b2 = b.play(3)
    h = root.zobrist_hash
    assert a.board_hashes.tolist() == [h, a.zobrist_hash]
    assert b.board_hashes.tolist() == [h, b.zobrist_hash]
    assert a2.board_hashes.tolist() == [h, a.zobrist_hash, a2.zobrist_hash]
    assert b2.board_hashes.tolist() == [h, b.zobrist_hash, b2.zobrist_hash]
    assert not a.board_hashes.flags.writeable
    # A board seen only on another branch does not count for superko.
    seen_elsewhere = root.play(0).play(24)  # black A5, white E1
    other = root.play(root.pass_move).play(24)  # white E1 first
    assert other.is_legal(0)
    assert np.array_equal(other.play(0).board, seen_elsewhere.board)
