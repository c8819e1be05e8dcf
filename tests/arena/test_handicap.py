"""Handicap games and set-up starts with real programs: GNU Go learns the start of a game
(handicap stones, opening moves) from the GTP player, the referee plays and counts
handicap games, and the ladder rates a network against GNU Go giving it stones."""

from __future__ import annotations

import csv
import json
import shlex
import shutil

import numpy as np
import pytest

from arena.gtp_player import GtpPlayer, MatchError, start_commands
from arena.ladder_entrants import Opponents, PlayerSpec, plan_pairings
from arena.match_loop import play_match
from arena.players import RandomPlayer
from arena.referee import referee_match
from go import Position, RulesConfig, coords, sgf
from gtp.handicap import fixed_handicap_points
from tests.arena.conftest import cpu9_run
from tests.arena.test_referee import compare_with_gnugo


def stones(player: GtpPlayer, colour: str) -> set[int]:
    """The points where the player's GNU Go process has ``colour`` stones."""
    listed = player._engine(0).send(f"list_stones {colour}").split()
    return {coords.from_gtp(v, 9) for v in listed}


def test_gnugo_is_told_the_handicap_stones_and_the_opening(gnugo):
    handicap = fixed_handicap_points(9, 4)
    position = Position.setup(9, 7.5, black=handicap, to_play=-1)
    for move in (coords.from_gtp("E5", 9), coords.from_gtp("D5", 9), 81,
                 coords.from_gtp("E6", 9)):
        position = position.play(move)
    player = GtpPlayer(gnugo, "A")
    player.reset(1)
    try:
        player.start(0, position)
        on_board = {int(p) for p in np.flatnonzero(position.flat_board)}
        assert stones(player, "black") == {int(p) for p in
                                           np.flatnonzero(position.flat_board == 1)}
        assert stones(player, "white") == on_board - stones(player, "black")
        assert len(on_board) == 7
        # black to move after W E5, B D5, W pass, B E6: GNU Go must answer as white
        assert position.to_play == -1
        move = player.moves([0], [position])[0]
        assert position.is_legal(move)
    finally:
        player.close()
    assert start_commands(position)[:2] == ["set_free_handicap C7 G7 C3 G3", "play w E5"]
    with pytest.raises(MatchError, match="only black handicap stones with white to move"):
        start_commands(Position.setup(9, 7.5, white=[0, 1], to_play=1))
    with pytest.raises(MatchError, match="2 black and 0 white stones, black to move"):
        start_commands(Position.setup(9, 7.5, black=[0, 1], to_play=1))


def test_an_opening_reaches_gnugo_in_the_match_loop(gnugo):
    opening = [coords.from_gtp(v, 9) for v in ("E5", "E4", "D4", "F5")]
    player = GtpPlayer(gnugo + " --seed 2", "A")
    try:
        result = play_match(player, RandomPlayer(1), RulesConfig(9, 7.5, 60), games=2,
                            parallel=1, opening=lambda i: opening)
        for game in result.games:
            assert not game.forfeit, game.reason
            assert game.final.moves()[:4] == opening
        final = result.games[-1].final  # the last game's board is still in GNU Go
        assert stones(player, "black") == set(np.flatnonzero(final.flat_board == 1))
        assert stones(player, "white") == set(np.flatnonzero(final.flat_board == -1))
    finally:
        player.close()


def test_handicap_games_start_from_the_stones_and_count_like_gnugo(gnugo, tmp_path):
    result = referee_match(gnugo + " --seed 1", gnugo + " --capture-all-dead --seed 2",
                           games=2, sgf_dir=str(tmp_path), handicap=5)
    expected = set(fixed_handicap_points(9, 5))
    for game in result.games:
        assert not game.forfeit, game.reason
        assert game.black == "A"  # the program given --black takes the stones every game
        root = game.final.root()
        assert set(np.flatnonzero(root.flat_board == 1)) == expected
        assert not np.any(root.flat_board == -1) and root.to_play == -1
        record = sgf.load(game.sgf_path)
        assert set(record.black_stones) == expected and record.to_play == -1
        assert record.handicap == 5 and "HA[5]" in (tmp_path / "game-0001.sgf").read_text()
        assert record.positions()[-1].zobrist_hash == game.final.zobrist_hash
    # where GNU Go sees no dead stone its own count of the SGF agrees with the referee's
    compare_with_gnugo(gnugo, [g for g in result.games if g.reason.startswith("counted")])
    with pytest.raises(ValueError, match="must be 2 to 9 stones, got 1"):
        referee_match(gnugo, gnugo, games=1, handicap=1)


def test_the_engine_plays_a_handicap_game_as_black(engine_argv, gnugo, tmp_path):
    engine = shlex.join(engine_argv + ["--resign-threshold", "-1"])
    result = referee_match(engine, gnugo + " --capture-all-dead", games=1,
                           sgf_dir=str(tmp_path), handicap=2)
    game = result.games[0]
    assert not game.forfeit, game.reason
    assert game.final.root().move_number == 0 and game.final.moves()
    assert len(np.flatnonzero(game.final.root().flat_board == 1)) == 2


def test_a_handicap_anchor_is_a_player_of_its_own():
    spec = PlayerSpec("gnugo", level=0, handicap=4)
    assert spec.name == "gnugo.l0.h4"
    assert spec.to_json() == {"kind": "gnugo", "level": 0, "capture_all_dead": True,
                              "handicap": 4}
    assert PlayerSpec("gnugo", level=0).to_json() == {"kind": "gnugo", "level": 0,
                                                      "capture_all_dead": True}
    for bad in (1, 10):
        with pytest.raises(ValueError, match=f"2..9 stones given by GNU Go, got {bad}"):
            PlayerSpec("gnugo", level=0, handicap=bad)
    with pytest.raises(ValueError, match="for a random player"):
        PlayerSpec("random", handicap=2)


def test_the_ladder_rates_a_network_against_gnugo_giving_stones(tiny_run, gnugo, tmp_path):
    from arena.ladder import Ladder

    run = cpu9_run(tmp_path / "run")
    source = tiny_run / "checkpoints" / "ckpt-100.keras"
    shutil.copy(source, run.checkpoints / "ckpt-00000000.keras")
    meta = json.loads(run.metadata_path(source).read_text())
    meta.update(promoted=True, generation=0, training_steps=0,
                saved_at="1970-01-01T00:01:00+00:00")
    run.metadata_path(run.checkpoints / "ckpt-00000000.keras").write_text(json.dumps(meta))
    opponents = Opponents(True, False, ((0, 9),))
    ladder = Ladder(run.root, games=2, playouts=4, opponents=opponents, gnugo_games=2,
                    gnugo=gnugo.split()[0], threads=1, seed=1)
    assert [(a.name, b.name) for a, b in ladder.pairings] == [
        ("ckpt-00000000.p4", "random"), ("ckpt-00000000.p4", "gnugo.l0.h9")]
    records = ladder.play()
    against = next(r for r in records if r.b == "gnugo.l0.h9")
    assert against.played == 2 and against.b_spec["handicap"] == 9
    for game in against.games:
        assert game.a_colour == 1, game  # the network takes the stones in every game
        assert not game.result.endswith(("+F", "+T")), game
    rows, files = ladder.run()
    anchor = next(r for r in rows if r.player == "gnugo.l0.h9")
    assert anchor.handicap == 9 and anchor.anchor_label == "GNU Go level 0, 9 stones"
    table = {r["player"]: r for r in csv.DictReader(files["csv"].open())}
    assert table["gnugo.l0.h9"]["handicap"] == "9" and table["random"]["handicap"] == ""
    assert "| gnugo.l0.h9 |" in files["report"].read_text()
    assert plan_pairings(ladder.checkpoints, opponents, 4)[-1][1].handicap == 9
