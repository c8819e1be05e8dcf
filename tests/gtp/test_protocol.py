"""The protocol layer alone (no Go): GTP v2 line handling, responses, dispatch, streams."""

from __future__ import annotations

import io
import itertools

import pytest

import gtp.protocol
from gtp.protocol import (
    MAX_LINE_CHARS,
    Arg,
    Command,
    CommandSpec,
    Dispatcher,
    GtpError,
    Stream,
    format_response,
    parse_bool,
    parse_command,
    parse_float,
    parse_int,
    parse_string,
    preprocess,
    shown,
)


@pytest.mark.parametrize("line, expected", [
    ("play b d4\n", "play b d4"),
    ("play b d4\r\n", "play b d4"),            # CR removed
    ("play\tb\td4", "play b d4"),              # tabs become spaces
    ("pl\x01ay b d4", "play b d4"),            # other control characters removed
    ("name # a comment", "name"),
    ("# only a comment", ""),
    ("   \t  ", ""),
    ("", ""),
    ("\x00\x07\x1b", ""),
    ("1 name#comment#more", "1 name"),
])
def test_preprocess_follows_the_specification(line, expected):
    assert preprocess(line) == expected


def test_parse_command_ids_names_and_arguments():
    assert parse_command("12 play b d4") == Command(12, "play", ("b", "d4"))
    assert parse_command("play b d4") == Command(None, "play", ("b", "d4"))
    assert parse_command("0 name") == Command(0, "name", ())
    assert parse_command("  7   name  ") == Command(7, "name", ())
    assert parse_command("7") == Command(7, "")            # id without a command
    assert parse_command("-1 name") == Command(None, "-1", ("name",))  # not an id
    assert parse_command("1a name") == Command(None, "1a", ("name",))
    assert parse_command("\u0663 name") == Command(None, "\u0663", ("name",))  # not ASCII
    assert parse_command("# nothing") is None
    assert parse_command("\r\n") is None


def test_format_response():
    assert format_response(None, True) == "= \n\n"
    assert format_response(3, True, "D4") == "=3 D4\n\n"
    assert format_response(3, False, "illegal move") == "?3 illegal move\n\n"
    # multi-line answers keep their lines but can never contain an empty line
    assert format_response(None, True, "a\n\nb\n") == "= a\nb\n\n"
    assert format_response(None, True, "\nrow1\nrow2") == "= \nrow1\nrow2\n\n"


def test_argument_types():
    assert parse_int("0") == 0 and parse_int("2147483647") == 2**31 - 1
    for bad in ("-1", "+1", "1.0", "2147483648", "", "\u0663", "1e3"):
        with pytest.raises(ValueError):
            parse_int(bad)
    assert parse_float("7.5") == 7.5 and parse_float("-0.5") == -0.5
    for bad in ("nan", "inf", "-inf", "1e999", "x", "7,5"):
        with pytest.raises(ValueError):
            parse_float(bad)
    assert parse_bool("true") and not parse_bool("false")
    with pytest.raises(ValueError):
        parse_bool("yes")
    assert parse_string("anything") == "anything"


def _dispatcher() -> tuple[Dispatcher, list]:
    calls: list = []
    d = Dispatcher("tester", "1.0", log=io.StringIO())
    d.add(CommandSpec("add", lambda a, b: str(a + b),
                      (Arg("a", parse_int), Arg("b", parse_int))))
    d.add(CommandSpec("opt", lambda a, b: f"{a} {b}",
                      (Arg("a", parse_int), Arg("b", parse_int, optional=True))))
    d.add(CommandSpec("many", lambda xs: " ".join(map(str, xs)), (), Arg("x", parse_int), 2))
    d.add(CommandSpec("fail", lambda: (_ for _ in ()).throw(GtpError("cannot do that"))))
    d.add(CommandSpec("bug", lambda: 1 / 0))
    d.add(CommandSpec("record", lambda: calls.append(1)))
    return d, calls


def test_dispatch_answers_and_errors():
    d, calls = _dispatcher()
    assert d.handle_line("1 add 2 3") == "=1 5\n\n"
    assert d.handle_line("add 2") == (                               # too few
        "? syntax error: add needs at least 2 argument(s), got 1\n\n")
    assert d.handle_line("add 2 3 4") == (                           # too many
        "? syntax error: add takes at most 2 argument(s), got 3\n\n")
    assert d.handle_line("add two 3") == (                           # does not parse
        "? syntax error: bad a: 'two' is not an unsigned integer\n\n")
    assert d.handle_line("opt 1") == "= 1 None\n\n"
    assert d.handle_line("opt 1 2") == "= 1 2\n\n"
    assert d.handle_line("many 1") == "? syntax error: many needs at least 2 x(s), got 1\n\n"
    assert d.handle_line("many 1 2 3") == "= 1 2 3\n\n"
    assert d.handle_line("2 fail") == "?2 cannot do that\n\n"
    assert d.handle_line("3 bug") == "?3 internal error: ZeroDivisionError\n\n"
    assert d.handle_line("4 nosuch") == "?4 unknown command\n\n"
    assert d.handle_line("ADD 1 2") == "? unknown command\n\n"     # names are case-sensitive
    assert d.handle_line("5") == "?5 syntax error: a line with an id and no command\n\n"
    assert d.handle_line("# comment") is None
    assert d.handle_line("record") == "= \n\n" and calls == [1]


def test_required_commands():
    d, _ = _dispatcher()
    assert d.handle_line("protocol_version") == "= 2\n\n"
    assert d.handle_line("name") == "= tester\n\n"
    assert d.handle_line("version") == "= 1.0\n\n"
    assert d.handle_line("known_command add") == "= true\n\n"
    assert d.handle_line("known_command nosuch") == "= false\n\n"
    assert d.handle_line("known_command").startswith("? syntax error: known_command needs")
    listed = d.handle_line("list_commands")[2:-2].split("\n")
    assert set(listed) == {"protocol_version", "name", "version", "known_command",
                           "list_commands", "quit", "add", "opt", "many", "fail", "bug",
                           "record"}
    assert d.handle_line("9 quit") == "=9 \n\n" and d.quit_requested


def test_serve_reads_until_quit_and_ignores_the_rest():
    d, calls = _dispatcher()
    out = io.StringIO()
    d.serve(io.StringIO("1 add 1 1\r\n\n# hello\n\tname\nquit\nrecord\n"), out)
    assert out.getvalue() == "=1 2\n\n= tester\n\n= \n\n"
    assert calls == []


def test_serve_ends_at_end_of_input():
    d, _ = _dispatcher()
    out = io.StringIO()
    d.serve(io.StringIO("name"), out)  # last line without newline still counts
    assert out.getvalue() == "= tester\n\n"


def test_streams():
    d, _ = _dispatcher()
    closed: list[str] = []

    def numbers(interruptible: bool) -> Stream:
        def lines():
            try:
                for i in itertools.count():
                    yield None if i % 2 else f"line {i}"
                    if not interruptible and i >= 4:
                        return
            finally:
                closed.append("closed")
        return Stream(lines(), interruptible=interruptible)

    d.add(CommandSpec("endless", lambda: numbers(True)))
    d.add(CommandSpec("finite", lambda: numbers(False)))
    # handle_line: an interruptible stream stops after its first item
    assert d.handle_line("3 endless") == "=3\nline 0\n\n"
    assert d.handle_line("finite") == "=\nline 0\nline 2\nline 4\n\n"
    # serve: the next command is already waiting, so the endless stream stops at once
    out = io.StringIO()
    d.serve(io.StringIO("4 endless\nfinite\nname\n"), out)
    text = out.getvalue()
    assert text.startswith("=4\n")
    first, second, third = text.split("\n\n")[:3]
    assert all(line.startswith("line ") for line in first.split("\n")[1:])
    assert second == "=\nline 0\nline 2\nline 4"
    assert third == "= tester"
    assert closed.count("closed") == 4


def test_serve_stops_quietly_when_the_output_closes():
    d, _ = _dispatcher()
    out = io.StringIO()
    out.close()
    d.serve(io.StringIO("name\nname\n"), out)  # returns instead of raising
    assert "output closed" in d.log.getvalue()


def test_ids_are_gtp_ints_and_absurd_ones_cost_one_answer():
    assert parse_command("00012 name") == Command(12, "name", ())
    assert parse_command("2147483647 name") == Command(2**31 - 1, "name", ())
    for digits in ("2147483648", "9" * 11, "9" * 4300, "9" * 4301, "9" * 5000, "1" * 100_000):
        command = parse_command(f"{digits} name x")
        assert command.id is None and command.name == "name" and command.args == ("x",)
        assert command.error.startswith(f"syntax error: bad id: {shown(digits)}")
        assert len(command.error) < 120
    d, calls = _dispatcher()
    assert d.handle_line("9" * 5000 + " record") == (
        "? syntax error: bad id: '999999999999999999999999'... (5000 characters) is larger "
        "than 2147483647\n\n")
    assert d.handle_line("9" * 100_000) == (
        "? syntax error: bad id: '999999999999999999999999'... (100000 characters) is larger "
        "than 2147483647\n\n")
    assert calls == []  # a refused line runs nothing
    assert d.handle_line("0" * 5000 + "3 record") == "=3 \n\n" and calls == [1]


def test_numbers_are_bounded_ascii_decimals_and_errors_show_them_cut():
    assert parse_int("0" * 100_000 + "42") == 42
    for bad in ("9" * 4301, "9" * 100_000, "\uff13", "\u00b2", "1_0", "0x10", " 1", "1 "):
        with pytest.raises(ValueError) as info:
            parse_int(bad)
        assert len(str(info.value)) < 100
    assert parse_float("+7.5") == 7.5 and parse_float("5.") == 5.0 and parse_float(".5") == 0.5
    assert str(parse_float("-0")) == "-0.0" and parse_float("1E2") == 100.0
    for bad in ("NaN", "-nan", "Infinity", "-inf", "1e309", "1_0", "0x10", "\u0663", "\uff13",
                "\u00b2", "7,5", "1.2.3", "e5", "5e", "--5", "\u22125", "1" * 65, "9" * 5000):
        with pytest.raises(ValueError) as info:
            parse_float(bad)
        assert len(str(info.value)) < 100, bad[:10]
    assert shown("abc") == "'abc'"
    assert shown("x" * 5000) == "'" + "x" * 24 + "'... (5000 characters)"
    assert shown("a\u2028b\x85") == "'a\\u2028b\\x85'"  # invisible line breaks escaped


def test_serve_answers_every_failure_once_and_keeps_going(monkeypatch):
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("cannot print")

    d, calls = _dispatcher()
    d.add(CommandSpec("unprintable", Unprintable))
    real_parse = gtp.protocol.parse_command

    def parse(line: str):
        if line.startswith("crash-the-parser"):
            raise RuntimeError("a parser bug")
        return real_parse(line)

    monkeypatch.setattr(gtp.protocol, "parse_command", parse)
    out = io.StringIO()
    lines = ["9" * 5000 + " name", "1 unprintable", "crash-the-parser", "2 bug",
             "3 name " + "x" * (MAX_LINE_CHARS + 10), "x" * (3 * MAX_LINE_CHARS),
             "4 add 1 " + "1" * 5000, "5 name"]
    d.serve(io.StringIO("".join(line + "\n" for line in lines)), out)
    answers = out.getvalue().split("\n\n")
    assert answers[-1] == "" and len(answers) == len(lines) + 1, answers
    assert answers[0].startswith("? syntax error: bad id: '9999")
    assert answers[1] == "?1 internal error: RuntimeError"
    assert answers[2] == "? internal error: RuntimeError"
    assert answers[3] == "?2 internal error: ZeroDivisionError"
    assert answers[4] == f"?3 syntax error: line longer than {MAX_LINE_CHARS} characters"
    assert answers[5] == f"? syntax error: line longer than {MAX_LINE_CHARS} characters"
    assert answers[6] == ("?4 syntax error: bad b: '111111111111111111111111'... "
                          "(5000 characters) is larger than 2147483647")
    assert answers[7] == "=5 tester"
    log = d.log.getvalue()
    assert "a parser bug" in log and "cannot print" in log and "Traceback" in log
