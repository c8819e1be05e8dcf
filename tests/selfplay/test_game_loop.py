"""Game loops over the batched search: self-play records, resignation, gate matches (played
through the arena's match loop)."""

import numpy as np
import pytest

from arena.match_loop import GameOutcome, MatchResult
from arena.sprt import Sprt
from go import Position, RulesConfig
from mcts import AreaEvaluator, ColourEvaluator, SearchConfig, UniformEvaluator
from selfplay.game_loop import SelfPlayGames
from selfplay.gatekeeper import gate_report
from selfplay.gatekeeper import play_gate_match as play_match

RULES = RulesConfig(5, 7.5, 50)


def test_self_play_records_replay_to_their_results():
    loop = SelfPlayGames(UniformEvaluator(5, 2), RULES,
                         SearchConfig(num_simulations=16, add_noise=True), 4, seed=0, worker=3)
    records = loop.play(min_games=6)
    assert len(records) >= 6 and loop.moves_played >= sum(r.num_positions for r in records)
    for record in records:
        position = Position.from_rules(RULES)
        for move in record.moves:
            position = position.play(int(move))
        assert position.is_over() and not record.resigned  # no threshold: no resignation
        assert record.winner == position.winner() and record.score == position.score()
        assert record.worker == 3 and record.num_positions == len(record.moves) <= 50


def test_games_start_at_their_step_and_count_their_moves_in_progress():
    loop = SelfPlayGames(UniformEvaluator(5, 2), RULES, SearchConfig(num_simulations=4), 4,
                         seed=0, start_at=[0, 2, 2, 5])
    seen = []
    for _ in range(6):
        assert not loop.step()  # 5x5 games of 4 playouts last longer than 6 moves
        seen.append((loop.games_in_progress, loop.moves_in_progress))
    # after step n (1-based) a game that started at step s has played n - s moves
    assert seen == [(1, 1), (1, 2), (3, 5), (3, 8), (3, 11), (4, 15)]
    assert loop.moves_played == 15
    with pytest.raises(ValueError, match="start_at needs 4 steps >= 0, got"):
        SelfPlayGames(UniformEvaluator(5, 2), RULES, SearchConfig(), 4, start_at=[0, 1])


def test_a_workers_first_games_start_one_by_one_across_its_groups():
    from selfplay.worker import SelfPlayWorker, start_offsets

    assert start_offsets(4, 100) == [0, 50, 70, 86] and start_offsets(3, 0) == [0, 0, 0]
    assert start_offsets(16, 324)[:3] == [0, 81, 114]  # cpu9: game 0 alone for 81 moves
    worker = SelfPlayWorker([UniformEvaluator(5, 2), UniformEvaluator(5, 2)], RULES,
                            SearchConfig(num_simulations=4), games=4, start_spread=8)
    # games 0..3 start at moves 0, 4, 5, 6: group 0 holds games 0 and 2, group 1 games 1
    # and 3, each group counting its own moves (a game that ends restarts in its place)
    report = worker.play(min_games=99, max_steps=1)
    assert (report.games_in_progress, report.moves_in_progress) == (1, 1)
    report = worker.play(min_games=99, max_steps=4)  # 5 moves each: game 1 started
    assert report.games_in_progress == 2 and report.moves_in_progress <= 5 + 1
    report = worker.play(min_games=99, max_steps=2)  # games 2 and 3 started
    assert report.games_in_progress == 4


def test_resignation_and_its_false_positive_bookkeeping():
    """Black always believes it is lost (value -0.95 for black), so black resigns at its
    first chance, except in resign-disabled games, which record that it would have."""
    search = SearchConfig(num_simulations=8, resign_threshold=-0.9,
                          resign_disabled_fraction=0.5)
    loop = SelfPlayGames(ColourEvaluator(5, -0.95, 2), RULES, search, 8, seed=1)
    records = loop.play(min_games=30)
    resigned = [r for r in records if not r.no_resign]
    disabled = [r for r in records if r.no_resign]
    assert resigned and disabled
    for r in resigned:  # black (+1) resigns at move 2, its first turn with a move played
        assert r.resigned == 1 and r.winner == -1 and r.num_positions == 2
        assert r.result_string() == "W+R" and np.isnan(r.score)
    for r in disabled:
        assert r.resigned == 0 and r.would_resign == 1 and r.would_resign_move == 0
        assert r.false_positive == (r.winner == 1)


def test_a_stronger_evaluator_wins_a_match_with_colours_alternating():
    search = SearchConfig(num_simulations=24)
    result = play_match(AreaEvaluator(5, 7.5, 2), UniformEvaluator(5, 2), RULES, search,
                        games=16, parallel=8, seed=0)
    assert result.played == 16 and not result.stopped_early
    assert sorted(g.a_colour for g in result.games) == [-1] * 8 + [1] * 8
    assert result.wins + result.losses + result.draws == 16
    assert result.score >= 12, result.games
    swapped = play_match(UniformEvaluator(5, 2), AreaEvaluator(5, 7.5, 2), RULES, search,
                         games=16, parallel=8, seed=0)
    assert swapped.score <= 4, swapped.games


def test_gate_games_differ_between_pairs_and_share_the_opening_within_a_pair():
    """Two deterministic searchers (no noise, the most-visited move) replay the same game
    for each colour without openings; with openings drawn per pair the 20 games differ,
    and both games of a pair begin with the pair's opening."""
    search = SearchConfig(num_simulations=8, add_noise=False, temperature_moves=0)

    def sequences(opening_moves: int) -> list[list[int]]:
        result = play_match(AreaEvaluator(5, 7.5, 2), UniformEvaluator(5, 2), RULES, search,
                            games=20, parallel=8, seed=4, opening_moves=opening_moves)
        assert result.played == 20
        return [g.final.moves() for g in result.games]

    assert len({tuple(s) for s in sequences(0)}) == 2  # one game per colour, ten times over
    games = sequences(3)
    assert len({tuple(s) for s in games}) >= 15
    openings = [tuple(s[:3]) for s in games]
    assert all(openings[2 * k] == openings[2 * k + 1] for k in range(10))
    assert len(set(openings)) >= 8 and all(25 not in o for o in openings)
    from rundir.config import PipelineConfig

    assert PipelineConfig().gate_opening_moves == 4
    with pytest.raises(ValueError, match="gate_opening_moves"):
        PipelineConfig(gate_opening_moves=-1)


def test_a_match_stops_when_the_decision_function_says_so():
    calls = []

    def stop(result: MatchResult) -> bool:
        calls.append(result.played)
        return result.played == 3

    result = play_match(UniformEvaluator(5, 2), UniformEvaluator(5, 2), RULES,
                        SearchConfig(num_simulations=4), games=10, parallel=4, stop=stop,
                        seed=2)
    assert result.played == 3 and result.stopped_early and calls == [1, 2, 3]
    with pytest.raises(ValueError, match="games >= 1"):
        play_match(UniformEvaluator(5, 2), UniformEvaluator(5, 2), RULES,
                   SearchConfig(num_simulations=4), games=0)


def games(*pairs: tuple[int, int]) -> list[GameOutcome]:
    """Outcomes from (candidate colour, winner) pairs."""
    return [GameOutcome(c, w, {1: "B+R", -1: "W+R", 0: "0"}[w], 20, "") for c, w in pairs]


def test_gate_report_carries_decision_and_elo():
    result = MatchResult(games=games(*[(1, 1)] * 17))
    report = gate_report(result, 400, 0.55, Sprt())
    assert report["decision"] == "promote" and report["promoted"]
    assert report["games"] == 17 and report["win_rate"] == 1.0 and report["elo"] > 300
    assert report["pairs"] == 8 and report["counting"] == "start order"
    assert report["summary"] == ("17-0-0 in 17 of 400 games (8 colour pairs), counted in "
                                 "start order")
    stopped = gate_report(MatchResult(games=games(*[(1, 1), (-1, -1)] * 9),
                                      stopped_early=True, uncounted=3), 400, 0.55, Sprt())
    assert stopped["pairs"] == 9 and stopped["uncounted"] == 3 and stopped["promoted"]
    assert stopped["summary"].endswith("start order, 3 finished games left uncounted")
    lost = gate_report(MatchResult(games=games((1, -1), (-1, 1), (1, 0), (-1, -1))), 4, 0.55,
                       None)
    assert lost["wins"] == 1 and lost["losses"] == 2 and lost["draws"] == 1
    assert lost["score"] == 1.5 and not lost["promoted"] and lost["elo"] < 0
    assert lost["elo_low"] < lost["elo"] < lost["elo_high"]


def test_a_worker_splits_its_games_over_pipelined_groups():
    from selfplay.worker import SelfPlayWorker

    evaluators = [UniformEvaluator(5, 2), UniformEvaluator(5, 2)]
    worker = SelfPlayWorker(evaluators, RULES, SearchConfig(num_simulations=8), games=5,
                            seed=0, worker=4)
    assert [g.num_games for g in worker._groups] == [3, 2]
    report = worker.play(min_games=3)
    assert len(report.games) >= 3 and report.worker == 4
    assert [r.serial for r in report.games] == list(range(len(report.games)))
    assert {r.session for r in report.games} == {worker.session}
    # at most 8 simulations plus a fresh root per move (terminal leaves need no network)
    assert 0 < report.evaluations <= 9 * report.moves
    bounded = worker.play(min_games=10**6, max_steps=2)
    assert bounded.moves <= 2 * 5
    assert [r.serial for r in bounded.games] == list(
        range(len(report.games), len(report.games) + len(bounded.games)))
    with pytest.raises(ValueError, match="between 1 and games=1 evaluators, got 2"):
        SelfPlayWorker(evaluators, RULES, SearchConfig(num_simulations=8), games=1)


@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_the_gatekeeper_plays_real_networks_through_the_arena_loop():
    from network import build_model
    from network.config import NetworkConfig
    from selfplay.gatekeeper import Gatekeeper

    config = NetworkConfig.tiny(5)
    # threads=None keeps TensorFlow's threads as the process already has them (other tests
    # of the session may have initialised it)
    gate = Gatekeeper(config, RULES, SearchConfig(num_simulations=4, add_noise=False),
                      threads=None, seed=0)
    weights = build_model(config).get_weights()
    report = gate.play(weights, weights, games=4, threshold=0.0, sprt=None, parallel=4)
    assert report["games"] == report["planned"] == 4 and not report["stopped_early"]
    assert report["pairs"] == 2 and report["opening_moves"] == 4 and report["uncounted"] == 0
    assert report["wins"] + report["losses"] + report["draws"] == 4
    assert report["promoted"] and report["decision"] == "promote"  # threshold 0: any score
    assert report["elo_low"] <= report["elo"] <= report["elo_high"]
