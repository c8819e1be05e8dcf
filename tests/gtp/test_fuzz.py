"""Random input to the real engine process: thousands of lines of garbage and near-miss
commands never kill it, every line gets at most one well-formed answer with its id, a
refused line never changes the board, and the board always agrees with GNU Go's replay of
the engine's own game record."""

from __future__ import annotations

import re

import numpy as np

from go import Position, coords
from gtp.client import GtpClient
from tests.gtp.conftest import engine_env
from tests.gtp.engine_process import EnginePipe

LINES = 3000
SIZE = 9
SENTINEL = 2_000_000_000

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
        ident = int(tokens.pop(0))
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
