"""Random input to the real engine process: thousands of lines of garbage and near-miss
commands never kill it, every line gets at most one well-formed answer with its id, a
refused line never changes the board, and the board always agrees with GNU Go's replay of
the engine's own game record.

Number-shaped garbage (ids, sizes, komi, times, analysis intervals, vertices, handicap
counts, colours, SGF move numbers of every length up to 100,000 characters, ``-0``, NaN and
infinity spellings, other scripts' digits, ``+``, ``_``, hex, odd whitespace) gets exactly
one answer each, ``?`` leaving the game as it was, in-process over the whole matrix and in
the real engine process over a sample."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

from go import Position, coords
from gtp.client import GtpClient
from gtp.engine import GtpEngine
from gtp.search_player import PlayerConfig
from mcts import UniformEvaluator
from tests.gtp.conftest import engine_env
from tests.gtp.engine_process import EnginePipe

LINES = 3000
SIZE = 9
SENTINEL = 2_000_000_000
MAX_ID = 2**31 - 1  # an id is a GTP int

TEMPLATES = [
    "play b e5", "play w c3", "play black pass", "genmove b", "genmove w", "reg_genmove b",
    "undo", "boardsize 9", "clear_board", "komi 7.5", "komi -3", "showboard", "final_score",
    "final_status_list alive", "final_status_list dead", "fixed_handicap 3",
    "place_free_handicap 4", "set_free_handicap a1 b2", "time_settings 300 30 5",
    "time_left b 30 5", "kgs-time_settings byoyomi 600 30 5", "kgs-time_settings none",
    "loadsgf nothing.sgf", "printsgf", "printsgf fuzz.sgf", "known_command play",
    "list_commands", "protocol_version", "name", "version", "lz-analyze 5",
    "lz-analyze b 1 minmoves 2", "kata-analyze w 2 pvVisits true rootInfo true",
    "lz-genmove_analyze b 1", "kata-genmove_analyze w", "gogui-analyze_commands",
    "zerogo-policy", "zerogo-value", "get_komi",
]
ODD_TOKENS = [
    "", "-1", "0", "2147483648", "99999999999999999999", "1e999", "nan", "inf", "-0",
    "\u0663", "Z9", "A0", "A10", "I5", "T19", "tt", "resign", "PASS", "e5e5", "black",
    "WHITE", "x", "\u00e9", "\x00", "\x7f", "\u2028", "\ufeff", "#", "\t", "\r", "=", "?",
    "1.5", "0x10", "true", "\ud7ff", "a" * 300,
]
BOARD_CHANGING = {"boardsize", "clear_board", "komi", "play", "undo", "fixed_handicap",
                  "place_free_handicap", "set_free_handicap", "loadsgf", "genmove",
                  "lz-genmove_analyze", "kata-genmove_analyze"}


def near_miss(rng: np.random.Generator) -> str:
    tokens = str(rng.choice(TEMPLATES)).split(" ")
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(0, 9))
        i = int(rng.integers(0, len(tokens)))
        if op == 0:  # change one character
            t = tokens[i]
            j = int(rng.integers(0, len(t) + 1))
            tokens[i] = t[:j] + chr(int(rng.integers(1, 0x3000))) + t[j + 1:]
        elif op == 1 and len(tokens) > 1:
            del tokens[i]
        elif op == 2:
            tokens.insert(i, str(rng.choice(ODD_TOKENS)))
        elif op == 3:
            tokens.append(tokens[i])
        elif op == 4:
            tokens[i] = str(rng.choice(ODD_TOKENS))
        elif op == 5:
            tokens[i] = tokens[i].upper() if rng.random() < 0.5 else tokens[i].title()
        elif op == 6:  # an id, sometimes odd
            tokens.insert(0, str(rng.choice(["7", "0", "00012", "-5", "4294967296", "1a"])))
        elif op == 7:
            tokens.append("# " + "".join(chr(int(c)) for c in rng.integers(32, 127, 5)))
        else:
            tokens = [tokens[0] + tokens[-1]] + tokens[1:]
    return " ".join(tokens).replace("\n", " ")


def garbage(rng: np.random.Generator) -> bytes:
    n = int(rng.choice([0, 1, 3, 10, 60, 200, 5000]))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        data = rng.integers(0, 256, n).astype(np.uint8).tobytes()
    elif kind == 1:
        data = rng.integers(32, 127, n).astype(np.uint8).tobytes()
    else:
        alphabet = b"\x00\x01\t\r\x0b\x0c\x1b\x7f #=?0123456789 abcdegnpw"
        data = bytes(alphabet[int(k)] for k in rng.integers(0, len(alphabet), n))
    return data.replace(b"\n", b" ")


def spec_view(line: bytes) -> tuple[int | None, str]:
    """(id, command name) the GTP specification reads in ``line`` (name "" if none)."""
    text = line.decode("utf-8", errors="replace")
    text = "".join(c for c in text if c == "\t" or (c >= " " and c != "\x7f"))
    text = text.split("#", 1)[0].replace("\t", " ").strip()
    tokens = text.split()
    ident = None
    if tokens and tokens[0].isascii() and tokens[0].isdigit():
        digits = tokens[0].lstrip("0") or "0"
        if len(digits) > 10 or int(digits) > MAX_ID:
            return None, tokens[0]  # not a GTP int: refused, answered without an id
        ident = int(digits)
        tokens.pop(0)
    return ident, (tokens[0] if tokens else "")


def read_until(engine: EnginePipe, ident: int) -> tuple[list[str], str]:
    """Responses before the one with ``ident``, and that one."""
    before = []
    while True:
        answer = engine.response()
        head = re.match(r"[=?](\d*)", answer)
        assert head, answer
        if head.group(1) == str(ident):
            return before, answer
        before.append(answer)


def board_of(showboard: str) -> np.ndarray:
    rows = [line for line in showboard.split("\n") if re.match(r"^ ?\d+ ", line)]
    assert len(rows) == SIZE, showboard
    cells = [line.split()[1:SIZE + 1] for line in rows]
    return np.array([[{"X": 1, "O": -1, ".": 0}[c] for c in row] for row in cells], np.int8)


def test_fuzz_never_kills_the_engine_and_keeps_the_board(engine_argv, tmp_path, gnugo):
    rng = np.random.default_rng(2024)
    engine = EnginePipe(engine_argv, engine_env(), str(tmp_path), str(tmp_path / "err.log"))
    try:
        engine.write(f"{SENTINEL} showboard\n")
        _, board = read_until(engine, SENTINEL)
        changed = 0
        for i in range(1, LINES + 1):
            roll = rng.random()
            if roll < 0.55:
                line = near_miss(rng).encode("utf-8", errors="replace")
            elif roll < 0.9:
                line = garbage(rng)
            else:  # a legal move keeps the game going
                position = board_of(board)
                empty = np.flatnonzero(position.ravel() == 0)
                move = int(rng.choice(empty)) if len(empty) else SIZE * SIZE
                line = f"play {'bw'[i % 2]} {coords.to_gtp(move, SIZE)}".encode()
            ident, name = spec_view(line)
            if name == "quit":
                continue
            engine.write(line + b"\n" + f"{SENTINEL + i} showboard\n".encode())
            answers, after = read_until(engine, SENTINEL + i)
            assert len(answers) <= 1, (line, answers)
            if answers:
                head = answers[0].split("\n", 1)[0]
                assert head[0] in "=?" and re.match(r"[=?](\d*)", head).group(1) == (
                    "" if ident is None else str(ident)), (line, head)
                assert "internal error" not in answers[0], (line, answers[0])
                if answers[0].startswith("?") or name not in BOARD_CHANGING:
                    assert after.split("\n", 1)[1] == board.split("\n", 1)[1], line
                else:
                    changed += 1
            else:
                assert name == "", line  # only lines the spec ignores go unanswered
                assert after.split("\n", 1)[1] == board.split("\n", 1)[1], line
            board = after
            if i % 500 == 0 or i == LINES:
                check_against_gnugo(engine, gnugo, tmp_path / f"record-{i}.sgf", board)
        assert changed > 100  # the game really moved on under the fuzz
        assert engine.ask("1 name") == "=1 zerogo\n\n"
        assert engine.ask("quit") == "= \n\n"
        assert engine.close() == 0
    finally:
        if engine.process.poll() is None:
            engine.process.kill()


def check_against_gnugo(engine: EnginePipe, gnugo: str, path, showboard: str) -> None:
    """The engine's board equals GNU Go's replay of the engine's own SGF record."""
    assert engine.ask(f"printsgf {path}") == "= \n\n"
    with GtpClient(gnugo) as ref:
        ref.send(f"loadsgf {path}")
        expected = np.zeros(SIZE * SIZE, np.int8)
        for colour, value in (("black", 1), ("white", -1)):
            for vertex in ref.send(f"list_stones {colour}").split():
                expected[coords.from_gtp(vertex, SIZE)] = value
    assert np.array_equal(board_of(showboard).ravel(), expected)
    Position.setup(SIZE, 0.0, np.flatnonzero(expected == 1), np.flatnonzero(expected == -1))


# ---------------------------------------------------------------- number-shaped garbage
LENGTHS = (1, 2, 10, 100, 1000, 4300, 4301, 5000, 100_000)
SPECIAL_NUMBERS = [
    "-0", "-0.0", "+0", "0.0", ".5", "5.", "-.5", "nan", "NaN", "-nan", "inf", "-inf",
    "Infinity", "-Infinity", "INF", "1e309", "-1e309", "1e308", "-1e308", "1e-400",
    "2147483647", "2147483648", "4294967296", "9223372036854775808", "\u0663", "\uff13",
    "\u00b2", "7\u00b2", "\u0667.\u0665", "+5", "+7.5", "1_0", "7_5", "0x10", "0X1F", "0b1",
    "0o7", "1.5", "7.5", "0.3", "7.25", "150", "150.5", "-150", "-151", "1e1", "1E2",
    "5\u00a0", "\u00a05", "5\u2003", "\u200b5", "5\u3000", "\t5", "5\x0b", "5\r", "5\x00",
    "1,5", "5\u066b5", "\u22125", "five", "5e", "e5", "--5", "5-", "1.2.3", "9" * 11,
]


def number_shapes() -> list[str]:
    """Digit strings of every length in ``LENGTHS`` (plain, leading zeros, signed,
    decimal, exponent, other scripts' digits), then ``SPECIAL_NUMBERS``."""
    shapes = []
    for n in LENGTHS:
        shapes += ["9" * n, "1" + "0" * (n - 1), "0" * (n - 1) + "7", "-" + "9" * n,
                   "+" + "9" * n, "1." + "5" * n, "1e" + "9" * n, "0." + "0" * n + "1",
                   "\u0663" * n, "\uff13" * n]
    return shapes + SPECIAL_NUMBERS


FAMILIES = {
    "id": ["{v} name", "{v} komi 6.5", "{v}", "{v} play b a1"],
    "size": ["boardsize {v}"],
    "komi": ["komi {v}"],
    "time": ["time_settings {v} 30 5", "time_settings 300 {v} 5", "time_settings 300 30 {v}",
             "time_left b {v} 5", "time_left w 30 {v}", "kgs-time_settings absolute {v}",
             "kgs-time_settings byoyomi 600 {v} 5", "kgs-time_settings canadian 600 30 {v}"],
    "analysis": ["lz-analyze {v}", "kata-analyze b {v}", "lz-analyze interval {v}",
                 "kata-analyze w 1 minmoves {v}", "lz-analyze 1 maxmoves {v}",
                 "lz-genmove_analyze b {v}"],
    "vertex": ["play b {v}", "play w E{v}", "play b {v}5", "set_free_handicap A1 {v}"],
    "handicap": ["fixed_handicap {v}", "place_free_handicap {v}"],
    "colour": ["genmove {v}", "play {v} E5", "kata-genmove_analyze {v} 1"],
    "sgf": ["loadsgf {sgf} {v}", "printsgf {dir}/{v}.sgf", "printsgf {v}"],
}
SETUP = ["boardsize 9", "komi 7.5", "play b e5", "play w c3", "time_settings 0 1 0"]
FINAL_SCORE = re.compile(r"= (0|[BW]\+\d{1,3}(\.5)?)\n\n")


def in_process_engine() -> GtpEngine:
    """The engine over a free evaluator (uniform priors, value 0): no TensorFlow."""
    engine = GtpEngine(UniformEvaluator(SIZE, 8), PlayerConfig(playouts=8), seed=0,
                       log=io.StringIO())
    for line in SETUP:
        assert engine.dispatcher.handle_line(line).startswith("="), line
    return engine


def game_of(engine: GtpEngine) -> tuple:
    """Everything a command could change: setup, moves, board, komi, clocks."""
    state, clocks = engine.state, engine.clocks
    return (state.setup, tuple(state.moves), state.position.flat_board.tobytes(),
            state.komi, clocks.settings, clocks.black, clocks.white)


def expected_id(line: str) -> str:
    """The id the answer to ``line`` must carry ("" for none)."""
    ident, _ = spec_view(line.encode("utf-8", errors="replace"))
    return "" if ident is None else str(ident)


def check_one_answer(engine: GtpEngine, line: str) -> str:
    """Exactly one well-formed GTP answer to ``line`` (a refusal short, naming no more
    than a cut of the value, leaving the game as it was), and a sane score after it."""
    before = game_of(engine)
    answer = engine.dispatcher.handle_line(line)
    label = line[:60]
    assert answer is not None and answer.endswith("\n\n"), label
    head = re.match(r"([=?])(\d*)", answer)
    assert head and head.group(2) == expected_id(line), (label, answer[:200])
    assert answer[:-2].count("\n\n") == 0, (label, answer[:200])  # one response only
    assert "internal error" not in answer, (label, answer[:300])
    if head.group(1) == "?":
        assert len(answer) < 500, (label, answer[:600])
        assert game_of(engine) == before, (label, answer)
    score = engine.dispatcher.handle_line("final_score")
    assert FINAL_SCORE.fullmatch(score), (label, score)
    komi = float(engine.dispatcher.handle_line("get_komi")[2:])
    assert abs(komi) <= 150 and (2 * komi).is_integer(), (label, komi)
    return answer


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_number_shaped_garbage_costs_one_answer_and_never_the_game(family, tmp_path):
    engine = in_process_engine()
    sgf = tmp_path / "game.sgf"
    assert engine.dispatcher.handle_line(f"printsgf {sgf}") == "= \n\n"
    refused = 0
    for template in FAMILIES[family]:
        for value in number_shapes():
            answer = check_one_answer(engine, template.format(v=value, sgf=sgf, dir=tmp_path))
            if answer.startswith("?"):
                refused += 1
            else:  # accepted: back to the known game before the next line
                for line in SETUP:
                    assert engine.dispatcher.handle_line(line).startswith("="), line
    assert refused > len(FAMILIES[family]) * len(number_shapes()) // 2


def test_komi_1e308_and_other_absurd_komi_are_refused():
    engine = in_process_engine()
    ask = engine.dispatcher.handle_line
    for bad in ("1e308", "-1e308", "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "0.3",
                "7.25", "150.5", "-151", "\u0663", "\uff13", "\u00b2", "1_0", "0x10",
                "9" * 5000, "7." + "5" * 100):
        answer = ask(f"komi {bad}")
        assert answer.startswith("? syntax error: bad komi: "), (bad[:20], answer[:100])
        assert len(answer) < 300 and repr(bad[:24])[1:-1] in answer, answer
        assert ask("get_komi") == "= 7.5\n\n"
        assert ask("final_score") == "= W+7.5\n\n"  # E5 and C3: one point each


def test_komi_is_a_whole_or_half_number_up_to_150():
    engine = in_process_engine()
    ask = engine.dispatcher.handle_line
    for text, expected in (("7.5", "7.5"), ("-0", "0"), ("-0.0", "0"), ("+6.5", "6.5"),
                           ("150", "150"), ("-150", "-150"), ("-0.5", "-0.5"), ("1e1", "10"),
                           ("0", "0"), ("6", "6")):
        assert ask(f"komi {text}") == "= \n\n", text
        assert ask("get_komi") == f"= {expected}\n\n", text
        assert str(engine.state.position.komi) == str(float(expected)), text  # no -0.0
    ask("clear_board")
    ask("komi 7.5")
    assert ask("final_score") == "= W+7.5\n\n"
    ask("komi -150")
    ask("play b e5")
    assert ask("final_score") == "= B+231\n\n"  # 81 points, plus 150 of negative komi


ABSURD_LINES = [
    ("9" * 5000 + " name", "bad id: '999999999999999999999999'... (5000 characters)"),
    ("9" * 100_000 + " name", "(100000 characters)"),
    ("1" * 4301 + " showboard", "(4301 characters)"),
    ("4294967296 name", "'4294967296' is larger than 2147483647"),
    ("komi 1e308", "bad komi: '1e308'"),
    ("komi nan", "bad komi: 'nan'"),
    ("komi -inf", "bad komi: '-inf'"),
    ("komi 0.3", "bad komi: '0.3'"),
    ("komi \uff17", "bad komi: '\uff17'"),
    ("boardsize " + "9" * 5000, "bad size: '999999999999999999999999'... (5000 characters)"),
    ("play b E" + "9" * 4301, "bad vertex: 'E99999999999999999999999'... (4302 characters)"),
    ("play b \u0665\u0665", "bad vertex"),
    ("time_settings " + "9" * 5000 + " 30 5", "bad main_time"),
    ("time_left b 1e309 5", "bad time: '1e309'"),
    ("time_left b 1_0 5", "bad time: '1_0'"),
    ("kgs-time_settings byoyomi \uff13 30 5", "bad value: '\uff13'"),
    ("lz-analyze " + "9" * 5000, "bad interval"),
    ("kata-analyze b interval " + "1" * 100_000, "(100000 characters)"),
    ("fixed_handicap \u0663", "bad number_of_stones: '\u0663'"),
    ("genmove " + "b" * 5000, "bad colour"),
    ("12 name " + "x" * 1_500_000, "line longer than 1000000 characters"),
]


def test_absurd_numbers_cost_one_answer_in_the_engine_process(tmp_path):
    """The real program (``python -m gtp --random-network --board-size 9 --playouts 8``):
    each absurd line gets one ``?`` naming a cut of the value; the board, komi and the
    process survive. The network has no ownership head (``cpu9_fast``), so
    ``final_score`` counts every stone alive and shows the komi alone."""
    argv = [sys.executable, "-m", "gtp", "--random-network", "--preset", "cpu9_fast",
            "--board-size", "9", "--playouts", "8", "--seed", "1", "--cpu", "--threads", "1"]
    engine = EnginePipe(argv, engine_env(), str(tmp_path), str(tmp_path / "err.log"))
    try:
        assert engine.ask("play b e5") == "= \n\n"
        assert engine.ask("komi 6.5") == "= \n\n"
        engine.write(f"{SENTINEL} showboard\n")
        _, board = read_until(engine, SENTINEL)
        for i, (line, named) in enumerate(ABSURD_LINES, 1):
            engine.write(line + "\n" + f"{SENTINEL + i} showboard\n")
            answers, after = read_until(engine, SENTINEL + i)
            assert len(answers) == 1, (line[:40], answers)
            head = answers[0].split("\n", 1)[0]
            assert head.startswith("?" + expected_id(line) + " syntax error: "), (line[:40],
                                                                                  head)
            assert named in head and len(head) < 300, (line[:40], head)
            assert after.split("\n", 1)[1] == board.split("\n", 1)[1], line[:40]
        assert engine.ask("get_komi") == "= 6.5\n\n"
        assert engine.ask("final_score") == "= B+74.5\n\n"
        assert engine.ask("komi -0") == "= \n\n" and engine.ask("get_komi") == "= 0\n\n"
        assert engine.ask("7 name") == "=7 zerogo\n\n"
        assert engine.ask("quit") == "= \n\n"
        assert engine.close() == 0
    finally:
        if engine.process.poll() is None:
            engine.process.kill()
