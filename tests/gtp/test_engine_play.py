"""The engine in-process over a real tiny network: move choice, passing, resigning, time,
analysis output and its value sign (winrates for the side to move)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from go import Position, coords
from gtp.engine import GtpEngine
from gtp.search_player import PlayerConfig

SIZE = 9


@pytest.fixture(scope="module")
def tiny_model():
    import keras

    from network import NetworkConfig, build_model

    keras.utils.set_random_seed(3)
    config = NetworkConfig.tiny(SIZE)
    return build_model(config), config


def make_engine(tiny_model, **player) -> GtpEngine:
    from network import NetworkEvaluator

    model, config = tiny_model
    player.setdefault("playouts", 32)
    return GtpEngine(NetworkEvaluator(model, config, seed=0), PlayerConfig(**player), seed=0,
                     log=io.StringIO())


def ask(engine: GtpEngine, line: str) -> str:
    answer = engine.dispatcher.handle_line(line)
    assert answer is not None and answer.endswith("\n\n"), answer
    return answer[:-2]


def eyes_position_moves() -> list[str]:
    """Black fills the board except nine single-point eyes (white passing in between), so
    that white, to move at the end, has no legal move but pass and has lost."""
    moves = []
    for r in range(SIZE):
        for c in range(SIZE):
            if r % 3 == 1 and c % 3 == 1:
                continue
            moves.append(f"b {coords.to_gtp(r * SIZE + c, SIZE)}")
            moves.append("w pass")
    return moves[:-1]  # white to move after black's last stone


def test_genmove_plays_legal_moves_for_both_colours(tiny_model):
    engine = make_engine(tiny_model)
    position = Position.new(SIZE, 7.5)
    for _ in range(12):
        colour = "b" if position.to_play == 1 else "w"
        reply = ask(engine, f"genmove {colour}")
        assert reply.startswith("= ")
        move = coords.from_gtp(reply[2:], SIZE)
        position = position.play(move)  # raises if the engine played an illegal move
        assert np.array_equal(engine.state.position.flat_board, position.flat_board)
    before = engine.state.position
    reply = ask(engine, "reg_genmove b")
    assert position.is_legal(coords.from_gtp(reply[2:], SIZE))
    assert engine.state.position is before  # reg_genmove leaves the board alone
    # out of turn: white asks for a move although black is to play
    reply = ask(engine, "genmove w")
    assert engine.state.position.moves()[-2:] == [SIZE * SIZE, coords.from_gtp(reply[2:], SIZE)]


def test_passes_to_win_after_the_opponent_passes(tiny_model):
    engine = make_engine(tiny_model)
    ask(engine, "play b e5")
    ask(engine, "play w pass")
    assert ask(engine, "genmove b") == "= pass"
    assert engine.state.position.is_over()
    assert ask(engine, "final_score") == "= B+73.5"


def test_does_not_pass_a_lost_count(tiny_model):
    engine = make_engine(tiny_model)
    ask(engine, "komi -20")
    for move in ("b e5", "w a1", "b pass"):
        ask(engine, f"play {move}")
    reply = ask(engine, "genmove w")  # passing now would lose by the count
    assert reply not in ("= pass", "= resign")


def test_resigns_a_lost_game_and_shows_it_in_the_winrates(tiny_model):
    engine = make_engine(tiny_model, playouts=200, resign_threshold=-0.7)
    for move in eyes_position_moves():
        assert ask(engine, f"play {move}") == "= ", move
    assert engine.state.to_play == -1
    assert engine.state.position.legal_moves().sum() == 1  # only pass
    # analysis for white: the one move, pass, shows a winrate near 0 for white
    out = ask(engine, "kata-genmove_analyze w 1").split("\n")
    assert out[0] == "=" and out[-1] == "play resign"
    info = re.search(r"info move pass visits (\d+) utility (\S+) winrate (\S+)", out[-2])
    assert info and int(info.group(1)) > 100
    assert float(info.group(3)) < 0.15 and float(info.group(2)) < -0.7
    assert engine.state.to_play == -1  # resigning plays nothing
    # the same position with black to move (white's turn filled by a pass): black wins
    reply = ask(engine, "lz-genmove_analyze b 1").split("\n")
    assert reply[-1] == "play pass"
    pass_info = re.search(r"info move pass visits \d+ winrate (\d+)", reply[-2])
    assert pass_info and int(pass_info.group(1)) > 8500


def test_never_resigns_when_told_so(tiny_model):
    engine = make_engine(tiny_model, playouts=200, resign_threshold=None)
    for move in eyes_position_moves():
        ask(engine, f"play {move}")
    assert ask(engine, "genmove w") == "= pass"


def test_time_settings_bound_the_search(tiny_model):
    engine = make_engine(tiny_model, playouts=None, max_playouts=5000)
    ask(engine, "time_settings 1 0 0")  # one second for the whole game
    reply = ask(engine, "genmove b")
    assert reply.startswith("= ")
    assert engine.player.root_visits < 5000  # stopped by the clock, not by the cap
    assert engine.clocks.black.remaining < 1.0
    ask(engine, "time_settings 0 1 0")  # no time limit: playouts decide (default 200)
    assert engine.player.budget(None) == (None, 200)


INFO_LZ = re.compile(
    r"info move (\S+) visits (\d+) winrate (\d+) prior (\d+) lcb (\d+) order (\d+) pv (.+?)"
    r"(?= info |$)")


def parse_lz(line: str) -> list[dict]:
    return [dict(move=m.group(1), visits=int(m.group(2)), winrate=int(m.group(3)),
                 prior=int(m.group(4)), lcb=int(m.group(5)), order=int(m.group(6)),
                 pv=m.group(7).split()) for m in INFO_LZ.finditer(line)]


def test_lz_genmove_analyze_format(tiny_model):
    engine = make_engine(tiny_model, playouts=64)
    ask(engine, "play b e5")
    out = ask(engine, "lz-genmove_analyze w 1 minmoves 5").split("\n")
    assert out[0] == "=" and out[-1].startswith("play ")
    infos = parse_lz(out[-2])
    assert len(infos) >= 5
    assert [i["order"] for i in infos] == list(range(len(infos)))
    visits = [i["visits"] for i in infos]
    assert visits == sorted(visits, reverse=True) and sum(visits) > 0
    for info in infos:
        assert 0 <= info["winrate"] <= 10000 and 0 <= info["prior"] <= 10000
        assert 0 <= info["lcb"] <= info["winrate"]
        assert info["pv"][0] == info["move"]
        assert engine.state.position.parent.is_legal(coords.from_gtp(info["move"], SIZE))
    assert out[-1] == f"play {infos[0]['move']}"  # the most-visited move is played
    assert ask(engine, "lz-genmove_analyze").startswith("? syntax error: ")  # colour required
    assert ask(engine, "lz-genmove_analyze 1") == (
        "? syntax error: a colour is required, got '1'")


def test_kata_analyze_options(tiny_model):
    engine = make_engine(tiny_model, playouts=64)
    ask(engine, "genmove b")  # a tree to report on
    line = ask(engine, "kata-genmove_analyze w interval 1 maxmoves 3 pvVisits true "
                       "rootInfo true").split("\n")[-2]
    assert line.count("info move") <= 3
    assert "rootInfo visits" in line and "pvVisits" in line
    for bad in ("kata-analyze avoid b d4 1", "kata-analyze 10 maxmoves",
                "kata-analyze 10 bogus 1", "kata-analyze 10 minmoves x",
                "kata-analyze 10 pvVisits maybe"):
        assert ask(engine, bad).startswith("? syntax error: "), bad


def test_gogui_analyze_commands_all_work(tiny_model):
    engine = make_engine(tiny_model)
    ask(engine, "play b e5")
    listed = ask(engine, "gogui-analyze_commands")[2:].split("\n")
    assert len(listed) >= 5
    for entry in listed:
        kind, label, command = entry.split("/")
        assert kind in ("dboard", "string", "gfx", "plist") and label
        assert ask(engine, command).startswith("= "), command
    policy = ask(engine, "zerogo-policy")[2:].split("\n")
    grid = np.array([[float(v) for v in row.split()] for row in policy])
    assert grid.shape == (SIZE, SIZE) and grid[4, 4] == 0  # E5 is occupied
    assert 0.9 < grid.sum() <= 1.0 + 1e-3
    gfx = ask(engine, "zerogo-visits")[2:].split("\n")
    assert gfx[0].startswith("LABEL ") and gfx[-1].startswith("TEXT white to move")
