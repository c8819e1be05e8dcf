"""Board commands over a ``GameState`` (no network): handicap placement against GNU Go,
SGF exchange with GNU Go, undo, colours out of turn, komi changes, time commands."""

from __future__ import annotations

import io

import numpy as np
import pytest

from go import Position, coords
from gtp.board_commands import BoardCommands, board_diagram
from gtp.client import EngineFailure, GtpClient
from gtp.clock_commands import Clocks
from gtp.game_state import BLACK, WHITE, GameState, Setup
from gtp.handicap import fixed_handicap_points, max_fixed_handicap
from gtp.protocol import Dispatcher


def make_dispatcher(size: int = 9, accept=lambda n: True) -> tuple[Dispatcher, GameState]:
    state = GameState(Setup(size, 7.5))
    d = Dispatcher("board", "test", log=io.StringIO())
    d.add_all(BoardCommands(state, accept_size=accept, log=io.StringIO()).specs())
    return d, state


def ask(d: Dispatcher, line: str) -> str:
    """The response text without the '= '/'? ' head and the closing blank line."""
    answer = d.handle_line(line)
    assert answer is not None and answer.endswith("\n\n")
    return answer[:-2]


def gnugo_board(client: GtpClient, size: int) -> np.ndarray:
    board = np.zeros(size * size, np.int8)
    for colour, value in (("black", 1), ("white", -1)):
        for vertex in client.send(f"list_stones {colour}").split():
            board[coords.from_gtp(vertex, size)] = value
    return board


def test_fixed_handicap_matches_gnugo(gnugo):
    with GtpClient(gnugo) as ref:
        for size in range(5, 20):
            ref.send(f"boardsize {size}")
            assert max_fixed_handicap(size) == (0 if size < 7 else 4 if (
                size == 7 or size % 2 == 0) else 9)
            for stones in range(0, 11):
                ref.send("clear_board")
                try:
                    expected = ref.send(f"fixed_handicap {stones}").split()
                except EngineFailure:
                    expected = None
                try:
                    ours = [coords.to_gtp(p, size) for p in fixed_handicap_points(size, stones)]
                except ValueError:
                    ours = None
                assert ours == expected, (size, stones)


def test_handicap_commands():
    d, state = make_dispatcher()
    assert ask(d, "fixed_handicap 4") == "= C7 G7 C3 G3"
    assert state.to_play == WHITE and state.position.move_number == 0
    assert ask(d, "fixed_handicap 2") == "? board not empty"
    assert ask(d, "undo") == "? cannot undo"  # handicap stones are setup, not moves
    ask(d, "clear_board")
    for bad in ("fixed_handicap 1", "fixed_handicap 10", "fixed_handicap 0"):
        assert ask(d, bad) == ("? invalid number of stones: fixed handicap on 9x9 must be "
                               f"2 to 9 stones, got {bad.split()[1]}")
    assert ask(d, "fixed_handicap x") == (
        "? syntax error: bad number_of_stones: 'x' is not an unsigned integer")
    assert ask(d, "place_free_handicap 12") == "= C7 E7 G7 C5 E5 G5 C3 E3 G3"
    ask(d, "clear_board")
    for bad in ("set_free_handicap d4", "set_free_handicap d4 d4", "set_free_handicap d4 pass",
                "set_free_handicap d4 z9", "set_free_handicap d4 x"):
        assert ask(d, bad).startswith("? bad vertex list: "), bad
    assert ask(d, "set_free_handicap d4 z9") == (
        "? bad vertex list: bad GTP column 'Z' in 'z9' (columns skip I)")
    assert ask(d, "set_free_handicap d4") == ("? bad vertex list: a 9x9 board takes 2 to 80 "
                                              "distinct points, no pass (got 1)")
    assert ask(d, "set_free_handicap").startswith("? syntax error: set_free_handicap needs")
    assert ask(d, "set_free_handicap a1 J9 e5") == "= "
    assert sorted(np.flatnonzero(state.position.flat_board)) == sorted(
        coords.from_gtp(v, 9) for v in ("A1", "J9", "E5"))
    assert ask(d, "play w d4") == "= "
    assert ask(d, "fixed_handicap 2") == "? board not empty"


def test_play_undo_and_errors():
    d, state = make_dispatcher()
    assert ask(d, "play b e5") == "= "
    assert ask(d, "play w e5") == "? illegal move"  # occupied
    for bad in ("play", "play b", "play x e5", "play b e10", "play b i5", "play b e5 e6",
                "play b 5e", "play black"):
        assert ask(d, bad).startswith("? syntax error: "), bad
    assert ask(d, "play b e10") == "? syntax error: bad vertex: GTP vertex 'e10' is off a 9x9 board"
    assert ask(d, "play W pass") == "= "
    assert ask(d, "play BLACK D4") == "= "
    assert state.position.move_number == 3
    assert ask(d, "undo") == "= " and ask(d, "undo") == "= " and ask(d, "undo") == "= "
    assert ask(d, "undo") == "? cannot undo"
    assert not state.position.flat_board.any() and state.to_play == BLACK


def test_suicide_and_ko_are_illegal_moves():
    d, state = make_dispatcher()
    for line in ("play w a2", "play w b1"):
        ask(d, line)
    assert ask(d, "play b a1") == "? illegal move"  # suicide
    ask(d, "clear_board")
    # . X O .      black B3 A2 B1, white C3 B2 D2 C1; black C2 takes B2; the retake is ko
    # X O . O
    # . X O .
    for move in ("b b3", "w c3", "b a2", "w b2", "b b1", "w d2", "b j9", "w c1", "b c2"):
        assert ask(d, f"play {move}") == "= ", move
    assert ask(d, "play w b2") == "? illegal move"
    assert state.captures() == (1, 0)
    assert ask(d, "play w j1") == "= "
    assert ask(d, "play b a9") == "= "
    assert ask(d, "play w b2") == "= "  # the ko may be retaken after a threat exchange


def test_same_colour_twice_and_moves_after_the_game_ended():
    d, state = make_dispatcher()
    ask(d, "play b e5")
    assert ask(d, "play b d4") == "= "  # GTP allows it: the engine inserts a white pass
    assert state.position.moves() == [40, 81, 48]
    assert ask(d, "undo") == "= "  # one GTP move = the pass and the stone
    assert state.position.moves() == [40]
    ask(d, "play w pass")
    ask(d, "play b pass")
    assert state.position.is_over()
    assert ask(d, "play w d4") == "= "  # play on after two passes
    assert state.position.flat_board[coords.from_gtp("D4", 9)] == WHITE
    ask(d, "play w c3")  # white again, right after its own move
    sgf_text = ask(d, "printsgf")[2:]
    assert sgf_text.startswith("(;GM[1]FF[4]")
    assert "W[];B[];W[df];B[];W[cg]" in sgf_text  # passes fill in for the skipped turns


def test_komi_change_keeps_the_game():
    d, state = make_dispatcher()
    for move in ("b e5", "w d4", "b c3"):
        ask(d, f"play {move}")
    ask(d, "komi 0.5")
    assert state.komi == 0.5 and state.position.komi == 0.5
    assert state.position.moves() == [40, 48, 56]
    assert ask(d, "get_komi") == "= 0.5"
    for bad in ("komi", "komi x", "komi nan", "komi inf", "komi 1 2", "komi 1e308", "komi 0.3"):
        assert ask(d, bad).startswith("? syntax error: "), bad
    assert ask(d, "komi 1e308") == ("? syntax error: bad komi: '1e308' is not a whole or half "
                                    "number between -150 and 150")
    assert ask(d, "undo") == "= " and state.position.komi == 0.5


def test_boardsize_and_clear_board():
    d, state = make_dispatcher(accept=lambda n: n in (9, 13))
    ask(d, "play b e5")
    assert ask(d, "boardsize 13") == "= "
    assert state.size == 13 and not state.position.flat_board.any()
    for bad in ("boardsize 19", "boardsize 1", "boardsize 0", "boardsize 25"):
        assert ask(d, bad) == f"? unacceptable size: {bad.split()[1]}", bad
    for bad in ("boardsize", "boardsize x", "boardsize -9", "boardsize 9.0"):
        assert ask(d, bad).startswith("? syntax error: "), bad
    assert ask(d, "boardsize 9.0") == "? syntax error: bad size: '9.0' is not an unsigned integer"
    assert state.size == 13
    ask(d, "play b a13")
    ask(d, "clear_board")
    assert state.size == 13 and not state.moves and state.komi == 7.5


def test_final_score_and_status_lists():
    d, _ = make_dispatcher()
    assert ask(d, "final_score") == "= W+7.5"
    ask(d, "play b e5")
    assert ask(d, "final_score") == "= B+73.5"
    ask(d, "play w a1")
    ask(d, "play b j9")
    ask(d, "play w a2")
    alive = ask(d, "final_status_list alive")[2:].split("\n")
    assert sorted(alive) == sorted(["E5", "J9", "A2 A1"]) or sorted(alive) == sorted(
        ["E5", "J9", "A1 A2"])
    # No ownership prediction here: dead stones cannot be told, and the answer says so.
    no_head = ("? cannot tell dead stones: the network has no ownership head (every stone "
               "counts as alive)")
    assert ask(d, "final_status_list dead") == no_head
    assert ask(d, "final_status_list seki") == "= "
    assert ask(d, "final_status_list DEAD") == no_head
    assert ask(d, "final_status_list unknown").startswith("? syntax error: bad status: ")
    assert ask(d, "final_status_list").startswith("? syntax error: ")


def test_showboard_matches_gnugo(gnugo):
    d, state = make_dispatcher()
    moves = ["b e5", "w d5", "b a1", "w f5", "b a2", "w e6", "b a3", "w e4", "b d4", "w pass",
             "b c5", "w j9", "b d6", "w j8", "b e5"]
    with GtpClient(gnugo) as ref:
        ref.send("boardsize 9")
        for move in moves:
            ask(d, f"play {move}")
            ref.send(f"play {move}")
        ours = ask(d, "showboard")[2:].strip("\n").split("\n")
        theirs = ref.send("showboard").split("\n")
        captured = (int(ref.send("captures black")), int(ref.send("captures white")))
    # the board rows, with GNU Go's star-point marks read as empty points
    assert [line[:23].rstrip() for line in ours[1:11]] == [
        line[:23].rstrip().replace("+", ".") for line in theirs[1:11]]
    assert ours[0] == "   A B C D E F G H J" and theirs[0].strip() == ours[0].strip()
    assert captured == state.captures() == (1, 1)
    assert "BLACK (X) has captured 1 stones" in "\n".join(ours)
    assert "WHITE (O) has captured 1 stones" in "\n".join(ours)
    assert board_diagram(state).split("\n")[-1] == "white to play, move 15, komi 7.5"


def test_sgf_from_gnugo_and_back(gnugo, tmp_path):
    d, state = make_dispatcher()
    path = tmp_path / "gnugo.sgf"
    with GtpClient(gnugo) as ref:
        ref.send("boardsize 9")
        ref.send("komi 5.5")
        for move in ("b e5", "w d4", "b c3", "w pass", "b d5", "w e4", "b f4", "w d3"):
            ref.send(f"play {move}")
        ref.send(f"printsgf {path}")
        expected = gnugo_board(ref, 9)
    assert ask(d, f"loadsgf {path}") == "= "
    assert np.array_equal(state.position.flat_board, expected)
    assert state.to_play == BLACK and state.komi == 5.5
    # our own record of a game, read back by us and by GNU Go
    ask(d, "clear_board")
    ask(d, "komi 7.5")
    moves = ["b e5", "w d4", "b d5", "w c5", "b e4", "w d3", "b pass", "w e3"]
    for move in moves:
        ask(d, f"play {move}")
    final = state.position.flat_board.copy()
    ours = tmp_path / "ours.sgf"
    assert ask(d, f"printsgf {ours}") == "= "
    assert ask(d, f"printsgf {tmp_path / 'not-sgf.txt'}") == "? cannot save file"
    ask(d, "clear_board")
    assert ask(d, f"loadsgf {ours}") == "= "
    assert np.array_equal(state.position.flat_board, final) and len(state.moves) == 8
    assert ask(d, "undo") == "= "  # loaded moves can be taken back
    assert ask(d, f"loadsgf {ours} 3") == "= "  # the position before move 3
    assert state.position.moves() == [40, 48]
    with GtpClient(gnugo) as ref:
        ref.send(f"loadsgf {ours}")
        assert np.array_equal(gnugo_board(ref, 9), final)


def test_loadsgf_refuses_bad_files(tmp_path):
    d, state = make_dispatcher(accept=lambda n: n == 9)
    ask(d, "play b e5")
    garbage = tmp_path / "garbage.sgf"
    garbage.write_text("(;GM[1]SZ[9];B[ee];W[ee])")  # occupied point
    big = tmp_path / "big.sgf"
    big.write_text("(;GM[1]SZ[19];B[pd])")
    broken = tmp_path / "broken.sgf"
    broken.write_text("(;GM[1]SZ[9];B[ee")
    absurd = []
    for i, root in enumerate(("KM[1e308]", "KM[-1e308]", "KM[nan]", "KM[inf]", "KM[0.3]",
                              "KM[151]", "KM[" + "9" * 5000 + "]", "SZ[" + "9" * 5000 + "]",
                              "HA[" + "9" * 5000 + "]")):
        path = tmp_path / f"absurd-{i}.sgf"
        path.write_text(f"(;GM[1]SZ[9]{root};B[cc])" if "SZ" not in root
                        else f"(;GM[1]{root};B[cc])", encoding="utf-8")
        absurd.append(path)
    for target in (tmp_path / "missing.sgf", garbage, big, broken, tmp_path, "/dev/zero",
                   *absurd, "x" * 100_000 + ".sgf"):
        assert ask(d, f"loadsgf {target}") == "? cannot load file", str(target)[:60]
    assert state.position.moves() == [40] and state.komi == 7.5  # untouched
    assert ask(d, "loadsgf").startswith("? syntax error: loadsgf needs")
    assert ask(d, f"loadsgf {garbage} x") == (
        "? syntax error: bad move_number: 'x' is not an unsigned integer")


def test_time_commands_fill_the_clocks():
    clocks = Clocks()
    d = Dispatcher("clock", "test", log=io.StringIO())
    d.add_all(clocks.specs())
    assert ask(d, "time_settings 300 30 5") == "= "
    assert clocks.settings.system == "canadian" and clocks.settings.stones == 5
    assert ask(d, "time_settings 0 10 0") == "= " and clocks.settings.system == "none"
    assert ask(d, "time_settings 60 0 0") == "= " and clocks.settings.system == "absolute"
    assert ask(d, "time_left b 42 0") == "= " and clocks.black.remaining == 42.0
    assert ask(d, "time_left white 12.5 3") == "= " and clocks.white.stones_left == 3
    assert ask(d, "kgs-time_settings byoyomi 600 30 5") == "= "
    assert clocks.settings.system == "byoyomi" and clocks.settings.periods == 5
    assert ask(d, "kgs-time_settings canadian 600 300 25") == "= "
    assert clocks.settings.system == "canadian"
    assert ask(d, "kgs-time_settings absolute 900") == "= "
    assert ask(d, "kgs-time_settings none") == "= " and clocks.settings.system == "none"
    for bad in ("time_settings 1 2", "time_settings -1 0 0", "time_settings x 0 0",
                "time_left b 10", "time_left x 10 0", "time_left b -3 0",
                "kgs-time_settings", "kgs-time_settings fischer 10 5",
                "kgs-time_settings byoyomi 600 30", "kgs-time_settings absolute",
                "kgs-time_settings none 5", "time_settings 99999999999 0 0",
                "time_left b nan 0", "time_left b 1e309 0", "time_left b 1_0 0"):
        assert ask(d, bad).startswith("? syntax error: "), bad
    assert ask(d, "time_left b -0 0") == "= " and clocks.black.remaining == 0.0


@pytest.mark.parametrize("size", [9, 19])
def test_game_state_positions_follow_the_rules(size):
    state = GameState(Setup(size, 7.5))
    rng = np.random.default_rng(size)
    reference = Position.new(size, 7.5)
    for _ in range(60):
        legal = np.flatnonzero(reference.legal_moves()[:-1])
        move = int(rng.choice(legal))
        state.play(reference.to_play, move)
        reference = reference.play(move)
        assert np.array_equal(state.position.flat_board, reference.flat_board)
    assert state.position.zobrist_hash == reference.zobrist_hash
