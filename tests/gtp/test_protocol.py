"""The protocol layer alone (no Go): GTP v2 line handling, responses, dispatch, streams."""

from __future__ import annotations

import io
import itertools

import pytest

from gtp.protocol import (
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
    assert d.handle_line("add 2") == "? syntax error\n\n"          # too few
    assert d.handle_line("add 2 3 4") == "? syntax error\n\n"      # too many
    assert d.handle_line("add two 3") == "? syntax error\n\n"      # does not parse
    assert d.handle_line("opt 1") == "= 1 None\n\n"
    assert d.handle_line("opt 1 2") == "= 1 2\n\n"
    assert d.handle_line("many 1") == "? syntax error\n\n"
    assert d.handle_line("many 1 2 3") == "= 1 2 3\n\n"
    assert d.handle_line("2 fail") == "?2 cannot do that\n\n"
    assert d.handle_line("3 bug") == "?3 internal error: ZeroDivisionError\n\n"
    assert d.handle_line("4 nosuch") == "?4 unknown command\n\n"
    assert d.handle_line("ADD 1 2") == "? unknown command\n\n"     # names are case-sensitive
    assert d.handle_line("5") == "?5 syntax error\n\n"
    assert d.handle_line("# comment") is None
    assert d.handle_line("record") == "= \n\n" and calls == [1]


def test_required_commands():
    d, _ = _dispatcher()
    assert d.handle_line("protocol_version") == "= 2\n\n"
    assert d.handle_line("name") == "= tester\n\n"
    assert d.handle_line("version") == "= 1.0\n\n"
    assert d.handle_line("known_command add") == "= true\n\n"
    assert d.handle_line("known_command nosuch") == "= false\n\n"
    assert d.handle_line("known_command") == "? syntax error\n\n"
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
