"""The ladder's parts without TensorFlow: players' decisions, the match loop, the results
store, the run directory's checkpoints and the choice of pairings."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import go
from arena.ladder_entrants import (
    Checkpoint,
    Opponents,
    PlayerSpec,
    plan_pairings,
    promoted_checkpoints,
    run_seconds,
    session_lengths,
)
from arena.ladder_store import LadderStore, LadderStoreError
from arena.match_loop import GameOutcome, play_match
from arena.players import BatchedSearchPlayer, PolicyPlayer, RandomPlayer, guarded_legal
from go import RulesConfig
from mcts import RESIGN, forced_pass
from mcts.known_evaluators import AreaEvaluator, FixedPriorEvaluator
from rundir.run_dir import RunDir, RunDirError, new_state, write_json_atomic
from tests.arena.conftest import cpu9_run

RULES5 = RulesConfig(size=5, komi=0.5, max_moves=50)


def board(rows: list[str], to_play: int = 1, komi: float = 0.5) -> go.Position:
    size = len(rows)
    black = [r * size + c for r, row in enumerate(rows) for c, ch in enumerate(row.split())
             if ch == "X"]
    white = [r * size + c for r, row in enumerate(rows) for c, ch in enumerate(row.split())
             if ch == "O"]
    return go.Position.setup(size, komi, black=black, white=white, to_play=to_play)


# ---------------------------------------------------------------- decisions
BLACK_AHEAD = ["X X X . .",
               "X . X . .",
               "X X X . .",
               ". . . . .",
               ". . . . ."]


def test_pass_rules_follow_the_score():
    ahead = board(BLACK_AHEAD, to_play=-1).play(25)  # white passes, black to move, ahead
    assert forced_pass(ahead)
    behind = board(BLACK_AHEAD, to_play=1).play(25)  # black passes, white to move, behind
    assert not forced_pass(behind)
    assert not guarded_legal(behind)[25] and guarded_legal(behind)[:25].any()
    assert guarded_legal(board(BLACK_AHEAD, to_play=1))[25]  # ahead: pass stays legal


def test_policy_player_plays_the_highest_legal_prior_and_never_passes_behind():
    priors = np.full(26, 0.01)
    priors[12] = 0.5  # the centre, occupied below
    priors[18] = 0.3
    priors[25] = 0.9  # pass
    player = PolicyPlayer(FixedPriorEvaluator(priors, history_length=2), "p")
    empty = go.Position.new(5, 0.5)  # black to move, behind by the komi
    occupied = board([". . . . .", ". . . . .", ". . X . .", ". . . . .", ". . . . ."],
                     to_play=-1)  # white to move, behind on the board
    ahead = board(BLACK_AHEAD, to_play=1)
    after_pass = board(BLACK_AHEAD, to_play=-1).play(25)
    assert player.moves([0, 1, 2, 3], [empty, occupied, ahead, after_pass]) == [12, 18, 25, 25]
    assert player.evaluations == 3  # the forced pass needed no evaluation


def test_policy_player_and_one_playout_engine_pass_alike():
    # Neither looks at the reply, so neither passes while behind on the count, even when
    # the opponent did not pass; ahead, both pass when pass has the highest prior.
    from gtp.search_player import EngineSearch, PlayerConfig

    priors = np.full(26, 0.01)
    priors[18] = 0.3
    priors[25] = 0.9  # pass
    evaluator = FixedPriorEvaluator(priors, history_length=2)
    behind = board(BLACK_AHEAD, to_play=-1)  # white to move, behind; black did not pass
    ahead = board(BLACK_AHEAD, to_play=1)
    for pos, expected in ((behind, 18), (ahead, 25)):
        engine = EngineSearch(evaluator, PlayerConfig(playouts=1), seed=0)
        for _ in engine.think(pos, None, 1):
            pass
        assert engine.choose(pos) == expected
        assert PolicyPlayer(evaluator, "p").moves([0], [pos]) == [expected]


def test_search_player_resigns_only_after_the_opening_and_when_asked():
    rows = ["X X X X X", "X X X X X", "X X . X X", "X X X X X", "X X X . ."]
    lost = board(rows, to_play=-1, komi=0.5)  # white has nothing left
    evaluator = AreaEvaluator(5, komi=0.5, history_length=2)
    resigning = BatchedSearchPlayer.engine_like(evaluator, "s", playouts=16,
                                                resign_threshold=-0.5, resign_after_move=0,
                                                seed=1)
    stubborn = BatchedSearchPlayer.engine_like(evaluator, "t", playouts=16,
                                               resign_threshold=None, seed=1)
    for player in (resigning, stubborn):
        player.reset(1)
        player.start(0, lost)
    assert resigning.moves([0], [lost]) == [RESIGN]
    move = stubborn.moves([0], [lost])[0]
    assert move != RESIGN and lost.is_legal(move)


# ---------------------------------------------------------------- the match loop
def test_random_games_alternate_colours_and_count_by_the_rules():
    seen = []
    outcomes = play_match(RandomPlayer(1, "r1"), RandomPlayer(2, "r2"), RULES5, 9, parallel=4,
                          first_colour=-1, on_game=seen.append).games
    assert len(outcomes) == 9 and sorted(map(id, seen)) == sorted(map(id, outcomes))
    assert [o.a_colour for o in outcomes] == [-1, 1] * 4 + [-1]
    for o in outcomes:
        assert o.result[0] == ("B" if o.winner == 1 else "W")
        assert o.reason == "counted at move limit" and o.moves == 50  # never passes


def test_random_player_with_passes_ends_games_early():
    outcomes = play_match(RandomPlayer(3, "a", passes=True), RandomPlayer(4, "b", passes=True),
                          RULES5, 20, parallel=20).games
    assert any(o.reason == "counted after two passes" and o.moves < 50 for o in outcomes)


def test_search_with_a_judge_beats_the_random_player():
    search = BatchedSearchPlayer.engine_like(AreaEvaluator(5, komi=0.5, history_length=2), "s",
                                             playouts=32, seed=0)
    outcomes = play_match(search, RandomPlayer(0), RULES5, 16, parallel=16).games
    points = sum(o.a_points for o in outcomes)
    assert points >= 14, [o.result for o in outcomes]
    assert {o.a_colour for o in outcomes} == {1, -1}


def test_a_player_cannot_play_itself():
    player = RandomPlayer(0)
    with pytest.raises(ValueError, match="itself"):
        play_match(player, player, RULES5, 2)


# ---------------------------------------------------------------- the store
def test_store_round_trip_reuse_and_refusals(tmp_path):
    store = LadderStore(tmp_path / "results")
    spec_a, spec_b = {"kind": "search", "playouts": 8}, {"kind": "random"}
    record = store.load("x.p8", "random", spec_a, spec_b)
    assert record.played == 0 and record.next_colour() == 1
    record.games += [GameOutcome(1, 1, "B+2.5", 40, "counted"),
                     GameOutcome(-1, 0, "0", 50, "counted at move limit"),
                     GameOutcome(1, -1, "W+R", 12, "resigned")]
    path = store.save(record)
    again = store.load("x.p8", "random", spec_a, spec_b)
    assert again.games == record.games and again.a_points == 1.5
    assert again.next_colour() == -1  # two games with black, one with white
    with pytest.raises(LadderStoreError, match="playouts"):
        store.load("x.p8", "random", {"kind": "search", "playouts": 16}, spec_b)
    data = json.loads(path.read_text())
    data["games"][1]["winner"] = 2
    path.write_text(json.dumps(data))
    with pytest.raises(LadderStoreError, match=r"game 1: winner must be"):
        store.load("x.p8", "random", spec_a, spec_b)
    path.write_text("{not json")
    with pytest.raises(LadderStoreError, match="not valid JSON"):
        store.records()
    with pytest.raises(ValueError, match="player name"):
        store.path("a/b", "random")


# ---------------------------------------------------------------- the run directory
def _checkpoint(name: str, generation: int, steps: int = 0) -> Checkpoint:
    return Checkpoint(name, None, generation, generation, steps, 60.0 * generation, "h")


def test_run_seconds_adds_up_sessions():
    sessions = [{"started": 100.0, "stopped": 160.0}, {"started": 1000.0, "stopped": 1100.0},
                {"started": 5000.0}]
    assert run_seconds(130.0, sessions) == 30.0
    assert run_seconds(1050.0, sessions) == 110.0
    assert run_seconds(5010.0, sessions) == 170.0


def test_a_killed_session_counts_its_training_time_not_the_pause_after_it():
    # killed at 160 (no "stopped"); the next session began at 1000 with 60 s of training
    killed = [{"started": 100.0}, {"started": 1000.0, "stopped": 1100.0,
                                   "elapsed_at_start": 60.0}]
    assert session_lengths(killed) == [(100.0, 60.0), (1000.0, 100.0)]
    assert run_seconds(1050.0, killed) == 110.0
    # a run from before sessions recorded elapsed_at_start: state's elapsed_seconds
    old = [{"started": 100.0}, {"started": 1000.0, "stopped": 1100.0}]
    assert run_seconds(1050.0, old, elapsed=160.0) == 110.0
    assert run_seconds(1050.0, old) == 950.0  # nothing to go by: up to the next start
    # the last session still open: it counts up to the timestamp
    assert session_lengths([{"started": 100.0, "stopped": 160.0},
                            {"started": 1000.0}]) == [(100.0, 60.0), (1000.0, math.inf)]


def test_promoted_checkpoints_come_from_metadata(tmp_path):
    run = RunDir(tmp_path / "run")
    run.create()
    state = new_state()
    state["sessions"] = [{"started": 0.0, "stopped": 10_000.0}]
    run.write_state(state)
    for name, meta in (
            ("ckpt-00000000.keras", {"promoted": True, "generation": 0, "training_steps": 0}),
            ("ckpt-00000010.keras", {"promoted": False, "generation": None,
                                     "training_steps": 10}),
            ("ckpt-00000015.keras", {"promoted": False, "generation": None,
                                     "training_steps": 15, "gate": {"generation": 1}}),
            ("ckpt-00000020.keras", {"promoted": True, "generation": 2, "training_steps": 20}),
            ("learner.keras", {"learner_state": True, "training_steps": 25})):
        run.write_checkpoint(name, b"x", json.dumps(
            dict(meta, saved_at="1970-01-01T00:02:00+00:00", keras_sha256=name)).encode())
    found = promoted_checkpoints(run)
    assert [(c.name, c.generation, c.version, c.training_steps) for c in found] == [
        ("ckpt-00000000.keras", 0, 0, 0), ("ckpt-00000020.keras", 2, 1, 20)]
    assert found[1].training_seconds == 120.0 and found[1].stem == "ckpt-00000020"
    with_rejected = promoted_checkpoints(run, rejected=True)
    assert [(c.name, c.generation, c.version, c.promoted) for c in with_rejected] == [
        ("ckpt-00000000.keras", 0, 0, True), ("ckpt-00000015.keras", 1, 1, False),
        ("ckpt-00000020.keras", 2, 2, True)]
    write_json_atomic(run.metadata_path(run.checkpoints / "ckpt-00000020.keras"),
                      {"promoted": True, "generation": "two", "training_steps": 20})
    with pytest.raises(RunDirError, match="ckpt-00000020.keras.json.*generation"):
        promoted_checkpoints(run)


def test_the_ladder_can_stop_at_a_training_time(tmp_path):
    from arena.ladder import Ladder

    run = cpu9_run(tmp_path / "run")
    for generation, minutes in ((0, 1), (1, 30), (2, 61)):
        name = f"ckpt-{generation:08d}.keras"
        run.write_checkpoint(name, b"x", json.dumps(
            {"promoted": True, "generation": generation, "training_steps": generation,
             "saved_at": f"1970-01-01T{minutes // 60:02d}:{minutes % 60:02d}:00+00:00",
             "keras_sha256": name}).encode())
    opponents = Opponents(True, False, ())
    assert len(Ladder(run.root, opponents=opponents).checkpoints) == 3
    kept = Ladder(run.root, opponents=opponents, minutes=60).checkpoints
    assert [c.generation for c in kept] == [0, 1]
    with pytest.raises(RunDirError, match="no promoted checkpoint within 0.5 minutes"):
        Ladder(run.root, opponents=opponents, minutes=0.5)
    command = Ladder(run.root, opponents=opponents, gnugo="/usr/games/gnugo").gtp_command(
        PlayerSpec("gnugo", level=3), seed=1)
    assert command.split() == ["/usr/games/gnugo", "--mode", "gtp", "--level", "3",
                               "--chinese-rules", "--positional-superko",
                               "--capture-all-dead"]


def test_games_against_gnugo_without_capture_all_dead_are_not_reused(tmp_path):
    store = LadderStore(tmp_path)
    gnugo = PlayerSpec("gnugo", level=0).to_json()
    assert gnugo == {"kind": "gnugo", "level": 0, "capture_all_dead": True}
    old = dict(gnugo)
    del old["capture_all_dead"]
    record = store.load("x.p8", "gnugo.l0", {"kind": "random"}, old)
    record.games.append(GameOutcome(a_colour=1, winner=-1, moves=40, result="W+9.5",
                                    reason="counted after two passes"))
    store.save(record)
    with pytest.raises(LadderStoreError, match="capture_all_dead"):
        store.load("x.p8", "gnugo.l0", {"kind": "random"}, gnugo)


# ---------------------------------------------------------------- the plan
def test_opponents_parse_and_refuse():
    assert Opponents.parse("random,policy,gnugo:0,gnugo:5") == Opponents(
        True, True, ((0, 0), (5, 0)))
    assert Opponents.parse("gnugo:1") == Opponents(False, False, ((1, 0),))
    assert Opponents.parse("gnugo:0,gnugo:0:h4,gnugo:0:h4") == Opponents(
        False, False, ((0, 0), (0, 4)))
    for bad, message in (("gnugo:11", "0..10"), ("gnugo:x", "bad GNU Go opponent"),
                         ("gnugo:0:h1", "2..9 stones, got 'gnugo:0:h1'"),
                         ("gnugo:0:h10", "2..9 stones"), ("gnugo:0:4", "bad GNU Go opponent"),
                         ("gnugo:0:hx", "bad GNU Go opponent 'gnugo:0:hx'"),
                         ("gnugo:0:h2:h3", "bad GNU Go opponent"),
                         ("pachi", "unknown opponent 'pachi'")):
        with pytest.raises(ValueError, match=message):
            Opponents.parse(bad)


def test_pairings_chain_generations_and_anchor_every_one():
    checkpoints = [_checkpoint(f"ckpt-{g:08d}.keras", g) for g in range(3)]
    pairs = plan_pairings(checkpoints, Opponents(True, True, ((0, 0),)), playouts=8)
    names = [(a.name, b.name) for a, b in pairs]
    assert names == [
        ("ckpt-00000000.p8", "random"), ("ckpt-00000001.p8", "random"),
        ("ckpt-00000002.p8", "random"), ("ckpt-00000001.p8", "ckpt-00000000.p8"),
        ("ckpt-00000002.p8", "ckpt-00000001.p8"),
        ("ckpt-00000000.policy", "random"), ("ckpt-00000001.policy", "random"),
        ("ckpt-00000002.policy", "random"), ("ckpt-00000001.policy", "ckpt-00000000.policy"),
        ("ckpt-00000002.policy", "ckpt-00000001.policy"),
        ("ckpt-00000002.p8", "gnugo.l0"), ("ckpt-00000002.policy", "gnugo.l0")]
    assert pairs[0][0].to_json() == {"kind": "search", "checkpoint": "ckpt-00000000.keras",
                                     "sha256": "h", "resign_threshold": None, "playouts": 8}
    with pytest.raises(ValueError, match="playouts"):
        PlayerSpec("search", checkpoints[0], playouts=0)


def test_listed_generations_also_play_gnugo_and_unknown_ones_are_named():
    checkpoints = [_checkpoint(f"ckpt-{g:08d}.keras", g) for g in (0, 2, 5)]
    pairs = plan_pairings(checkpoints, Opponents(True, False, ((0, 0), (5, 0))), playouts=8,
                          gnugo_generations=(5, 2))
    against = [(a.name, b.name) for a, b in pairs if b.kind == "gnugo"]
    assert against == [("ckpt-00000002.p8", "gnugo.l0"), ("ckpt-00000005.p8", "gnugo.l0"),
                       ("ckpt-00000002.p8", "gnugo.l5"), ("ckpt-00000005.p8", "gnugo.l5")]
    with pytest.raises(ValueError, match=r"generation 3 is not a promoted.*\[0, 2, 5\]"):
        plan_pairings(checkpoints, Opponents(True, False, ((0, 0),)), 8,
                      gnugo_generations=(3,))


# ---------------------------------------------------------------- the command lines
@pytest.mark.parametrize("flags, message", [
    (["--opponents", "random,pachi"], "unknown opponent 'pachi'"),
    (["--games", "0"], "--games must be at least 1, got 0"),
    (["--opponents", "gnugo:0", "--gnugo", "/nonexistent/gnugo"], "GNU Go not found"),
    (["--resign-threshold", "2"], "--resign-threshold must be in"),
    (["--gnugo-generations", "12,last"], "--gnugo-generations must be comma-separated"),
    (["--minutes", "-5"], "--minutes must be positive, got -5"),
])
def test_ladder_refuses_bad_flags(tmp_path, capsys, flags, message):
    from arena.ladder import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--run-dir", str(tmp_path), *flags])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_ladder_names_a_missing_run_directory(tmp_path, capsys):
    from arena.ladder import main

    assert main(["--run-dir", str(tmp_path / "nothing"), "--opponents", "random"]) == 2
    assert "nothing: not a run directory" in capsys.readouterr().err
