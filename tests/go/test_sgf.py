"""SGF: GNU Go self-play games written and read back identically, the SGF features a reader
meets in the wild, and errors (never crashes) for malformed input."""

from __future__ import annotations

import numpy as np
import pytest

from go import Game, IllegalMove, Position, SgfError, coords, parse_diagram, sgf
from tests.go.gtp_process import gnugo

TRICKY_COMMENT = "a ] bracket, a \\ backslash,\nnew lines\n\nand: colons [x]"


def gnugo_self_play(seed: int, max_moves: int = 90) -> tuple[list[str], str | None, str]:
    """One 9x9 GNU Go (level 0) self-play game: GTP moves, GNU Go's score, its own SGF."""
    with gnugo(9, "--level", "0") as engine:
        engine.command("komi 7.5")
        engine.command(f"set_random_seed {seed}")
        moves: list[str] = []
        colour = "black"
        result = None
        while len(moves) < max_moves and moves[-2:] != ["PASS", "PASS"]:
            move = engine.command(f"genmove {colour}").upper()
            if move == "RESIGN":
                result = f"{'W' if colour == 'black' else 'B'}+R"
                break
            moves.append(move)
            colour = "white" if colour == "black" else "black"
        if result is None and moves[-2:] == ["PASS", "PASS"]:
            result = engine.command("final_score")
        return moves, result, engine.command("printsgf")


@pytest.mark.timeout(120)
def test_gnugo_self_play_games_round_trip(tmp_path) -> None:
    for seed in (1, 2, 3):
        vertices, result, gnugo_sgf = gnugo_self_play(seed)
        position = Position.new(9, 7.5)
        for vertex in vertices:
            position = position.play(coords.from_gtp(vertex, 9))
        comments = {0: "first move", len(vertices) // 2: TRICKY_COMMENT,
                    len(vertices) - 1: "last move"}
        game = Game.from_position(position, result=result, black_player="GNU Go 3.8",
                                  white_player="GNU Go [level 0]", date="2024-09-01",
                                  comments=comments)
        game.comment = f"self-play, seed {seed}"
        path = tmp_path / f"game{seed}.sgf"
        sgf.save(path, game)
        back = sgf.load(path)
        assert back == game
        assert back.moves == [coords.from_gtp(v, 9) for v in vertices]
        assert back.comments[len(vertices) // 2] == TRICKY_COMMENT
        final = back.final_position()
        assert np.array_equal(final.board, position.board)
        assert final.zobrist_hash == position.zobrist_hash
        # GNU Go's own record of the game (the final board as AB/AW setup, PL) agrees.
        theirs = sgf.parse(gnugo_sgf)
        assert theirs.size == 9 and theirs.moves == []
        assert theirs.black_stones == tuple(np.flatnonzero(position.flat_board == 1))
        assert theirs.white_stones == tuple(np.flatnonzero(position.flat_board == -1))
        assert theirs.to_play == position.to_play
        assert theirs.rules == "Chinese" and theirs.black_player is None


def test_setup_handicap_and_white_first_round_trip() -> None:
    root = Position.setup(9, 0.5, black=[20, 24, 56, 60], to_play=-1)
    position = root.play(40).play(41).play(root.pass_move).play(30)
    game = Game.from_position(position, black_player="B", white_player="W")
    game.handicap = 4
    text = sgf.to_string(game)
    assert "HA[4]" in text and "AB[cc][gc][cg][gg]" in text and "PL[W]" in text
    assert ";W[ee];B[fe];W[];B[dd]" in text
    back = sgf.parse(text)
    assert back == game and back.to_play == -1 and back.handicap == 4
    assert np.array_equal(back.final_position().board, position.board)


def test_reads_features_found_in_the_wild() -> None:
    text = """\ufeff
    (;FF[4]GM[1]SZ[5]KM[6.5]RU[Japanese]HA[2]PB[Black \\] player]PW[White\tplayer]
      DT[2024-01-02]RE[W+R]C[game comment with soft\\
line break]
      AB[aa:bb][ee]AW[ca][cb]
     ;AE[bb]PL[W]
     ;W[dd]C[first]
     ;B[tt]
     ;W[ae]
     ;B[]
     (;W[cc];B[dc]C[main line]
       (;W[ec])(;W[ed]))
     (;W[ad];B[bd])
    )
    (;SZ[9];B[ee])
    """
    game = sgf.parse(text)
    assert game.size == 5 and game.komi == 6.5 and game.rules == "Japanese"
    assert game.handicap == 2 and game.result == "W+R" and game.date == "2024-01-02"
    assert game.black_player == "Black ] player" and game.white_player == "White player"
    assert game.comment == "game comment with softline break"
    # AB[aa:bb] is the rectangle aa, ba, ab, bb; AE[bb] then removes bb.
    assert game.black_stones == (0, 1, 5, 24) and game.white_stones == (2, 7)
    assert game.to_play == -1
    assert game.moves == [18, 25, 20, 25, 12, 13, 14]  # dd, tt = pass, ae, pass, cc, dc, ec
    assert game.comments == {0: "first", 5: "main line"}
    final = game.final_position()
    assert final.move_number == 7 and final.board[2, 4] == -1


def test_old_style_property_names_and_setup_nodes() -> None:
    game = sgf.parse("(;GaMe[1]SiZe[9];AddBlack[ee];PL[B];B[cc];W[gg])")
    assert game.black_stones == (40,) and game.moves == [20, 60] and game.komi == 0.0


def test_empty_game_and_defaults() -> None:
    game = sgf.parse("(;)")
    assert game == Game(size=19, komi=0.0, rules=None)
    assert sgf.parse(sgf.to_string(Game(size=7))) == Game(size=7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty SGF"),
        ("   \n ", "empty SGF"),
        ("SZ[9]", "must start with '\\('"),
        ("(;SZ[9]", "ends inside a game tree"),
        ("(;SZ[9]C[unclosed)", r"never closed .*line 1, column 9"),
        ("(;SZ[9]\n;B[aa]\n;W[bb]\nC[x\\", "never closed"),
        ("(;SZ[9];B[aa] xyz)", "property name 'xyz' has no capital letter"),
        ("(;SZ[9];B[aa]W)", "property W without a value"),
        ("(;SZ[9](;B[aa]);W[bb])", "node after a variation"),
        ("()", "game tree without a node"),
        ("(;SZ[9]())", "game tree without a node"),
        ("(;SZ[9];B[aa]]", "unexpected ']'"),
        ("(;SZ[9];B[zz])", r"move 1: SGF point 'zz' is off a 9x9 board \(SGF line 1"),
        ("(;SZ[9];B[aa];B[bb])", "move 2 is B but W is to play"),
        ("(;SZ[9];B[aa]W[bb])", "both a B and a W move"),
        ("(;SZ[9];B[aa];AB[cc])", "after the first move"),
        ("(;SZ[9]PL[X])", r"PL\[X\] is not B or W"),
        ("(;SZ[9]PL[W];B[aa])", "move 1 is B but W is to play"),
        ("(;SZ[25])", "between 2 and 19"),
        ("(;SZ[9:13])", "only square boards"),
        ("(;SZ[nine])", r"SZ\[nine\] is not a board size"),
        ("(;SZ[9]KM[six])", r"KM\[six\] is not a number"),
        ("(;SZ[9]KM[nan])", "not a finite number"),
        ("(;SZ[9]HA[x])", r"HA\[x\] is not an integer"),
        ("(;GM[2])", "not a Go game"),
        ("(;SZ[9]AB[aa][aa:zz])", "off a 9x9 board"),
        ("(;SZ[9]AB[cc:aa])", "not top-left:bottom-right"),
        ("(;SZ[9]AB[])", "empty point"),
        ("(;SZ[9]AB[aa:bb]AE[bb])", "point bb is in both AE and AB of one node"),
        ("(;SZ[3]AB[ab][ba]AW[aa])", "bad setup.*without liberties"),
        ("(;SZ[9]KM[1][2])", "KM has 2 values"),
        ("(;SZ[9]\n;B[aa]\n;W[zz])", r"move 2: .*'zz' .*\(SGF line 3, column 1\)"),
    ],
)
def test_malformed_sgf_raises_sgf_error_saying_where(text: str, message: str) -> None:
    with pytest.raises(SgfError, match=message) as info:
        sgf.parse(text)
    assert isinstance(info.value, ValueError)
    if text.strip():
        assert "line" in str(info.value)


def test_illegal_moves_in_a_record_name_the_move_number() -> None:
    game = sgf.parse("(;SZ[9];B[ee];W[ff];B[ee])")
    with pytest.raises(IllegalMove, match=r"E5 \(40\): occupied \(move 3 of the game record\)"):
        game.positions()


def test_mutated_sgf_never_crashes() -> None:
    rng = np.random.default_rng(5)
    position = parse_diagram("X . O\n. X .\nO . .").play(8).play(5)
    game = Game.from_position(position, result="B+2", comments={0: TRICKY_COMMENT})
    text = sgf.to_string(game)
    alphabet = list("();[]\\:ABWCPLSZKMtt aa\n")
    outcomes = {"game": 0, "error": 0}
    for _ in range(600):
        chars = list(text)
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(len(chars)))
            action = rng.integers(3)
            if action == 0:
                del chars[i]
            elif action == 1:
                chars.insert(i, alphabet[int(rng.integers(len(alphabet)))])
            else:
                chars[i] = alphabet[int(rng.integers(len(alphabet)))]
        try:
            parsed = sgf.parse("".join(chars))
        except SgfError:
            outcomes["error"] += 1
        else:
            assert isinstance(parsed, Game)
            outcomes["game"] += 1
    assert outcomes["error"] > 100 and outcomes["game"] > 50, outcomes


def test_game_records_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="move 2 is 82, off a 9x9 board"):
        Game(size=9, moves=[3, 82])
    with pytest.raises(ValueError, match="komi must be a finite number, got nan"):
        Game(size=9, komi=float("nan"))
    with pytest.raises(ValueError, match="setup stone 81 is off"):
        Game(size=9, black_stones=(81,))
    with pytest.raises(ValueError, match="comment for move index 1, but the game has 1 moves"):
        Game(size=9, moves=[3], comments={1: "x"})
    with pytest.raises(ValueError, match="to_play must be 1"):
        Game(size=9, to_play=0)


def test_deeply_nested_variations_parse() -> None:
    # Some editors write every move in its own variation: thousands of nested trees.
    depth = 3000
    text = "(;SZ[19]" + "".join(f"(;{'BW'[i % 2]}[{'abcd'[i % 4]}{'abcd'[i // 4 % 4]}]"
                                for i in range(depth)) + ")" * (depth + 1)
    game = sgf.parse(text)
    assert len(game.moves) == depth
