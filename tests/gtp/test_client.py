"""The GTP client against real processes: GNU Go, and a program that fails on purpose."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gtp.client import EngineCrashed, EngineFailure, EngineTimeout, GtpClient

FAULTY = [sys.executable, str(Path(__file__).with_name("faulty_engine.py"))]


def test_answers_and_failures_from_gnugo(gnugo):
    with GtpClient(gnugo, label="gnugo") as client:
        assert client.send("name") == "GNU Go"
        assert client.send("boardsize 9") == ""
        assert client.send("play b e5") == ""
        with pytest.raises(EngineFailure) as failure:
            client.send("play w e5")
        assert failure.value.message == "illegal move" and "gnugo" in str(failure.value)
        board = client.send("showboard").split("\n")
        assert len(board) == 11 and "X" in board[5]  # multi-line answers keep their lines
        assert client.alive  # a '?' answer is not fatal
    assert not client.alive and client.process.poll() is not None


def test_crash_is_reported_with_the_exit_code():
    client = GtpClient(FAULTY + ["crash", "0"])
    assert client.send("name") == "faulty-crash"
    with pytest.raises(EngineCrashed) as crash:
        client.send("genmove b")
    assert crash.value.returncode == 3 and not client.alive
    with pytest.raises(EngineCrashed):  # every later command says so too
        client.send("name")
    client.close()


def test_timeout_kills_the_engine():
    client = GtpClient(FAULTY + ["hang", "0"], timeout=5)
    with pytest.raises(EngineTimeout, match="genmove b"):
        client.send("genmove b", timeout=0.5)
    assert client.process.wait(timeout=10) is not None and not client.alive
    client.close()


def test_a_program_that_cannot_start():
    with pytest.raises(EngineCrashed, match="cannot start"):
        GtpClient("/nonexistent/engine --mode gtp")
    with pytest.raises(ValueError, match="empty engine command"):
        GtpClient("   ")


def test_one_line_per_command(gnugo):
    with GtpClient(gnugo) as client:
        with pytest.raises(ValueError, match="one line"):
            client.send("name\nquit")
        assert client.send("name") == "GNU Go"
