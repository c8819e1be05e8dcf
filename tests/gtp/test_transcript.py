"""A scripted GTP session with the real engine process (``python -m gtp`` over a tiny
checkpoint in a run directory): every command, every error case, the exact wire format
the GTP v2 specification requires, and analysis streams interrupted by the next command.
"""

from __future__ import annotations

import re

import pytest

from go import coords
from tests.gtp.conftest import REPO, engine_env
from tests.gtp.engine_process import EnginePipe

VERTEX = r"(?:[A-HJ][1-9]|pass|resign)"

# the board after "play b e5", "play w c3" with komi 6.5
SHOWBOARD = (
    "=14 \n"
    "   A B C D E F G H J\n"
    " 9 . . . . . . . . . 9\n"
    " 8 . . . . . . . . . 8\n"
    " 7 . . . . . . . . . 7\n"
    " 6 . . . . . . . . . 6     WHITE (O) has captured 0 stones\n"
    " 5 . . . . X . . . . 5     BLACK (X) has captured 0 stones\n"
    " 4 . . . . . . . . . 4\n"
    " 3 . . O . . . . . . 3\n"
    " 2 . . . . . . . . . 2\n"
    " 1 . . . . . . . . . 1\n"
    "   A B C D E F G H J\n"
    "black to play, move 2, komi 6.5\n\n")

EXPECTED_COMMANDS = {
    "protocol_version", "name", "version", "known_command", "list_commands", "quit",
    "boardsize", "clear_board", "komi", "play", "genmove", "undo", "showboard",
    "final_score", "final_status_list", "time_settings", "time_left", "kgs-time_settings",
    "loadsgf", "printsgf", "reg_genmove", "fixed_handicap", "place_free_handicap",
    "set_free_handicap", "lz-analyze", "lz-genmove_analyze", "kata-analyze",
    "kata-genmove_analyze", "gogui-analyze_commands",
}


def transcript(tmp: str) -> list[tuple[str, object]]:
    """(input line, expected output): an exact string, a compiled pattern matching the
    whole response, or None when the line must get no response at all."""
    ok = "= \n\n"
    syntax = re.compile(r"\? syntax error: [^\n]+\n\n")  # the detail names the argument
    return [
        # the required commands; ids, comments, blank lines, CR, tabs
        ("protocol_version", "= 2\n\n"),
        ("1 name", "=1 zerogo\n\n"),
        ("2 version", re.compile(r"=2 0\.1\.0 \(b2c16 ckpt-100\)\n\n")),
        ("# a comment line", None),
        ("", None),
        (" \t  ", None),
        ("3 known_command genmove # a comment after a command", "=3 true\n\n"),
        ("4 known_command frobnicate", "=4 false\n\n"),
        ("5\tknown_command\tlz-analyze\r", "=5 true\n\n"),
        ("6 frobnicate", "?6 unknown command\n\n"),
        ("NAME", "? unknown command\n\n"),
        ("7", "?7 syntax error: a line with an id and no command\n\n"),
        ("known_command", syntax),
        # board size and komi
        ("8 boardsize 19", "?8 unacceptable size: 19\n\n"),  # the network is 9x9
        ("boardsize 99", "? unacceptable size: 99\n\n"),
        ("boardsize nine", syntax),
        ("9 boardsize 9", "=9 \n\n"),
        ("clear_board", ok),
        ("komi 6.5", ok),
        ("komi six", "? syntax error: bad komi: 'six' is not a decimal number\n\n"),
        ("komi 1e308", "? syntax error: bad komi: '1e308' is not a whole or half number "
                       "between -150 and 150\n\n"),
        ("get_komi", "= 6.5\n\n"),
        # moves, illegal moves, undo
        ("10 play b e5\r", "=10 \n\n"),
        ("11 play w e5", "?11 illegal move\n\n"),
        ("play b z1", syntax),
        ("play b i5", syntax),
        ("play purple d4", syntax),
        ("play w", syntax),
        ("play w d4 d5", syntax),
        ("play\tw\tD4", ok),
        ("12 undo", "=12 \n\n"),
        ("undo", ok),
        ("13 undo", "?13 cannot undo\n\n"),
        ("play w a2", ok),
        ("play w b1", ok),
        ("play b a1", "? illegal move\n\n"),  # suicide
        ("clear_board", ok),
        *[(f"play {m}", ok) for m in ("b b3", "w c3", "b a2", "w b2", "b b1", "w d2", "b j9",
                                       "w c1", "b c2")],
        ("play w b2", "? illegal move\n\n"),  # retaking the ko at once repeats the board
        ("clear_board", ok),
        ("play b e5", ok),
        ("play w c3", ok),
        ("14 showboard", SHOWBOARD),
        ("undo", ok),
        # scoring
        ("final_score", "= B+74.5\n\n"),
        ("final_status_list dead", "? cannot tell dead stones: the network has no "
                                   "ownership head (every stone counts as alive)\n\n"),
        ("final_status_list alive", "= E5\n\n"),
        ("final_status_list seki", ok),
        ("final_status_list zombie", syntax),
        # handicap
        ("fixed_handicap 2", "? board not empty\n\n"),
        ("clear_board", ok),
        ("fixed_handicap 10", "? invalid number of stones: fixed handicap on 9x9 must be 2 "
                              "to 9 stones, got 10\n\n"),
        ("fixed_handicap two", syntax),
        ("15 fixed_handicap 5", "=15 C7 G7 E5 C3 G3\n\n"),
        ("genmove b", re.compile(rf"= {VERTEX}\n\n")),  # black may move out of turn too
        ("clear_board", ok),
        ("place_free_handicap 3", "= C7 G7 C3\n\n"),
        ("clear_board", ok),
        ("set_free_handicap a1 a1", "? bad vertex list: a 9x9 board takes 2 to 80 distinct "
                                    "points, no pass (got 2)\n\n"),
        ("set_free_handicap a1", "? bad vertex list: a 9x9 board takes 2 to 80 distinct "
                                 "points, no pass (got 1)\n\n"),
        ("set_free_handicap a1 b2 c3", ok),
        ("set_free_handicap d4 d5", "? board not empty\n\n"),
        # move generation
        ("16 genmove w", re.compile(rf"=16 {VERTEX}\n\n")),
        ("genmove purple", syntax),
        ("genmove", syntax),
        ("reg_genmove b", re.compile(rf"= {VERTEX}\n\n")),
        # time control
        ("time_settings 600 30 5", ok),
        ("time_left w 590 0", ok),
        ("time_left b 25 3", ok),
        ("time_settings 1 2", syntax),
        ("time_left b -1 0", syntax),
        ("kgs-time_settings canadian 600 30 5", ok),
        ("kgs-time_settings byoyomi 300 30 5", ok),
        ("kgs-time_settings absolute 1200", ok),
        ("kgs-time_settings none", ok),
        ("kgs-time_settings sudden 10", syntax),
        ("17 genmove b", re.compile(rf"=17 {VERTEX}\n\n")),
        # SGF
        (f"printsgf {tmp}/game.sgf", ok),
        ("printsgf", re.compile(r"= \(;GM\[1\]FF\[4\]CA\[UTF-8\].*SZ\[9\]KM\[6\.5\].*AB\[cg\]"
                                r"\[bh\]\[ai\].*\)\n\n", re.S)),
        ("clear_board", ok),
        (f"loadsgf {tmp}/game.sgf", ok),
        ("final_status_list alive", re.compile(r"= (?:.*\n)*.*A1.*\n(?:.*\n)*\n")),
        (f"loadsgf {tmp}/game.sgf 1", ok),
        (f"loadsgf {tmp}/missing.sgf", "? cannot load file\n\n"),
        (f"printsgf {tmp}/not-an-sgf-name.txt", "? cannot save file\n\n"),
        # analysis commands that end by themselves
        ("gogui-analyze_commands", re.compile(r"= (?:(?:dboard|string|gfx|plist)/[^/\n]+/"
                                              r"[^\n]+\n)+\n")),
        ("zerogo-value", re.compile(r"= white to move: value [-+]\d\.\d{3}, winrate .*\n\n")),
        ("18 lz-genmove_analyze b 1", re.compile(
            rf"=18\n(?:info move {VERTEX} visits \d+ .*\n)*play {VERTEX}\n\n")),
        ("kata-genmove_analyze w", re.compile(rf"=\nplay {VERTEX}\n\n")),  # no interval
        ("lz-analyze avoid b d4 1", syntax),
    ]


@pytest.fixture(scope="module")
def engine(engine_argv, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("engine")
    pipe = EnginePipe(engine_argv, engine_env(), str(workdir), str(workdir / "stderr.log"))
    pipe.workdir = workdir
    yield pipe
    pipe.close()


def test_scripted_transcript(engine):
    for line, expected in transcript(str(engine.workdir)):
        engine.write(line + "\n")
        if expected is None:
            continue
        answer = engine.response()
        if isinstance(expected, re.Pattern):
            assert expected.fullmatch(answer), (line, answer)
        else:
            assert answer == expected, (line, answer)
    assert not engine.pending()  # nothing extra was written (lines without responses)


def test_list_commands(engine):
    answer = engine.ask("list_commands")
    assert answer.startswith("= ") and answer.endswith("\n\n")
    listed = set(answer[2:-2].split("\n"))
    assert EXPECTED_COMMANDS <= listed
    for command in listed:
        assert engine.ask(f"known_command {command}") == "= true\n\n"


def read_stream(engine: EnginePipe, head: str) -> list[str]:
    """Lines of a streamed response after its head line, up to the blank line."""
    assert engine.line() == head
    lines = []
    while (line := engine.line()) != "\n":
        lines.append(line.rstrip("\n"))
    return lines


@pytest.mark.parametrize("command, pattern", [
    ("lz-analyze 5", r"info move (\S+) visits \d+ winrate \d+ prior \d+ lcb \d+ order \d+ "
                     r"pv .+"),
    ("kata-analyze b 5 minmoves 3", r"info move (\S+) visits \d+ utility -?\d\.\d+ "
                                    r"winrate [01]\.\d+ prior [01]\.\d+ lcb [01]\.\d+ order \d+ "
                                    r"pv .+"),
])
def test_analysis_streams_until_the_next_command(engine, command, pattern):
    assert engine.ask("clear_board") == "= \n\n"
    assert engine.ask("play b e5") == "= \n\n"
    board = engine.ask("showboard")
    engine.write(f"20 {command}\n")
    assert engine.line() == "=20\n"
    first = engine.line()  # the search runs and reports every 5 centiseconds
    assert re.match(pattern, first), first
    more = [first.rstrip("\n")]
    while len(more) < 3:
        more.append(engine.line().rstrip("\n"))
    engine.write("21 name\n")  # any new command ends the stream
    while (line := engine.line()) != "\n":
        more.append(line.rstrip("\n"))
    assert engine.response() == "=21 zerogo\n\n"
    for text in more:
        assert re.match(pattern, text), text
        moves = re.findall(r"info move (\S+)", text)
        assert len(moves) == len(set(moves)) >= 1
        for vertex in moves:
            assert vertex == "pass" or coords.from_gtp(vertex, 9) != coords.from_gtp("E5", 9)
    assert engine.ask("showboard") == board  # analysing changes nothing


def test_quit_ends_the_process(engine):
    assert engine.ask("99 quit") == "=99 \n\n"
    assert engine.close() == 0


def test_engine_refuses_a_bad_checkpoint(tmp_path):
    import subprocess
    import sys

    missing = subprocess.run([sys.executable, "-m", "gtp", "--checkpoint",
                              str(tmp_path / "nothing.keras"), "--cpu"],
                             capture_output=True, text=True, env=engine_env(), cwd=REPO,
                             timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert missing.stdout == ""
