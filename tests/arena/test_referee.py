"""The referee with real programs: the engine against GNU Go, GNU Go against itself, and
programs that break the rules or the protocol. Scores are checked against GNU Go's own
``final_score`` wherever GNU Go sees no dead stone on the final board."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from arena.match_loop import GameOutcome, MatchResult
from arena.referee import referee_match
from go import sgf
from gtp.client import GtpClient
from tests.gtp.conftest import REPO, engine_env

FAULTY = shlex.join([sys.executable,
                     str(Path(__file__).parents[1] / "gtp" / "faulty_engine.py")])


def compare_with_gnugo(gnugo: str, games: list[GameOutcome]) -> int:
    """Replay each game's SGF in a fresh GNU Go; where GNU Go finds no dead stone, its
    ``final_score`` must equal the referee's result. Returns how many games compared."""
    compared = 0
    with GtpClient(gnugo) as ref:
        for game in games:
            ref.send(f"loadsgf {game.sgf_path}")
            if ref.send("final_status_list dead"):
                continue
            assert ref.send("final_score") == game.result, game.index + 1
            compared += 1
    return compared


def check_records(result: MatchResult, games: int) -> None:
    assert len(result.games) == games
    for game in result.games:
        record = sgf.load(game.sgf_path)
        assert record.moves == game.final.moves() and record.result == game.result
        assert len(record.moves) == game.moves
        positions = record.positions()  # every move legal under the project's rules
        assert positions[-1].zobrist_hash == game.final.zobrist_hash
        assert record.black_player == result.names[game.black]
    assert sum(result.won(label) for label in ("A", "B")) + sum(
        1 for g in result.games if g.winner == 0) == games


def test_engine_against_gnugo(engine_argv, gnugo, tmp_path):
    engine = shlex.join(engine_argv + ["--resign-threshold", "-1"])
    cleaner = gnugo + " --capture-all-dead --seed 5"
    lines: list[str] = []
    result = referee_match(engine, cleaner, games=2, size=9, komi=7.5, sgf_dir=str(tmp_path),
                        alternate=True, report=lines.append)
    check_records(result, 2)
    assert [(g.black, g.white) for g in result.games] == [("A", "B"), ("B", "A")]
    assert result.names["A"].startswith("zerogo 0.1.0") and result.names["B"] == "GNU Go 3.8"
    for game in result.games:
        assert not game.forfeit, game.reason  # no illegal move, crash or timeout
        assert game.reason == "counted after two passes"
        assert game.final.is_over() and game.score is not None
    assert len(lines) == 2
    assert compare_with_gnugo(gnugo, result.games) >= 1


def test_gnugo_against_gnugo_scores(gnugo, tmp_path):
    result = referee_match(f"{gnugo} --seed 1", f"{gnugo} --seed 2 --capture-all-dead",
                           games=4, sgf_dir=str(tmp_path), alternate=True)
    check_records(result, 4)
    assert all(not g.forfeit for g in result.games)
    compare_with_gnugo(gnugo, result.games)
    both_clean = referee_match(f"{gnugo} --capture-all-dead --seed 3",
                               f"{gnugo} --capture-all-dead --seed 4", games=2,
                               sgf_dir=str(tmp_path / "clean"), alternate=True)
    assert compare_with_gnugo(gnugo, both_clean.games) == 2
    table = result.table()
    assert "A win rate" in table and "Elo A - B" in table and "GNU Go 3.8" in table


@pytest.mark.parametrize("mode, loser_reason, code", [
    ("occupied", "illegal move A1 by {colour}: occupied", "F"),
    ("garbage", "{colour} answered genmove with 'over-there', not a move", "F"),
    ("fail", "{colour} failed genmove: cannot think", "F"),
    ("refuse", "{colour} refused the legal move", "F"),
    ("crash", "{colour} crashed", "F"),
    ("hang", "{colour} timed out on 'genmove", "T"),
])
def test_faults_lose_the_game_with_the_reason(gnugo, tmp_path, mode, loser_reason, code):
    games = 2 if mode == "crash" else 1  # after a crash the program is restarted
    result = referee_match(f"{FAULTY} {mode} 3", gnugo, games=games, sgf_dir=str(tmp_path),
                           alternate=True, move_timeout=1.0)
    assert len(result.games) == games
    for game in result.games:
        faulty_colour = "black" if game.black == "A" else "white"
        assert game.winner_label == "B", game.reason
        assert game.reason.startswith(loser_reason.format(colour=faulty_colour)), game.reason
        letter = "W" if faulty_colour == "black" else "B"
        assert game.result == f"{letter}+{code}"
        record = sgf.load(game.sgf_path)
        assert record.result == game.result and game.reason in (record.comment or "")
    assert "forfeits " + str(games) in result.table()


def test_command_line(gnugo, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "arena.match", "--black", gnugo + " --capture-all-dead",
         "--white", gnugo, "--games", "2", "--size", "9", "--komi", "7.5", "--sgf-dir",
         str(tmp_path), "--alternate"],
        capture_output=True, text=True, cwd=REPO, env=engine_env(), timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().split("\n")
    assert lines[0].startswith("game 1: A GNU Go 3.8 (B) vs B GNU Go 3.8 (W): ")
    assert lines[1].startswith("game 2: B GNU Go 3.8 (B) vs A GNU Go 3.8 (W): ")
    assert "as black" in lines[2] and lines[-1].startswith("Elo A - B")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["game-0001.sgf", "game-0002.sgf"]
    bad = subprocess.run(
        [sys.executable, "-m", "arena.match", "--black", gnugo, "--white", gnugo,
         "--size", "25"], capture_output=True, text=True, cwd=REPO, env=engine_env(),
        timeout=60)
    assert bad.returncode == 2 and "board size must be between 2 and 19" in bad.stderr
