"""The one pass rule (``mcts.passing``), used by self-play, gates, the arena and the GTP
engine: pass is refused only where it would lose at once, forced where it wins at once;
anywhere else a side may pass. Boards drawn in ASCII."""

from __future__ import annotations

import numpy as np

import go
from mcts import (
    AreaEvaluator,
    BatchedSearch,
    FixedPriorEvaluator,
    SearchConfig,
    forced_pass,
    pass_refused,
)
from tests.mcts.ascii_boards import position

BLACK_AHEAD = [  # black 15 points, white 10 on the board
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
]
DEAD_WHITE_STONE = [  # the white stone in black's area makes the left side neutral
    "O . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
    ". . X O .",
]
PASS = 25


def _after_white_pass(rows: list[str], komi: float) -> go.Position:
    return position(rows, to_play=-1, komi=komi).play(PASS)


def _pass_lover() -> FixedPriorEvaluator:
    priors = np.zeros(26, np.float32)
    priors[PASS] = 1.0
    return FixedPriorEvaluator(priors)


def test_behind_after_a_pass_the_pass_is_refused_and_not_forced():
    root = _after_white_pass(BLACK_AHEAD, komi=7.5)  # black: 15 - 10 - 7.5 < 0
    assert root.score() < 0 and root.to_play == 1
    assert pass_refused(root) and not forced_pass(root)
    search = BatchedSearch(_pass_lover(), SearchConfig(num_simulations=1), 1, seed=0)
    search.set_root(0, root)
    search.run()
    assert not search.root_stats(0).legal[PASS]
    assert search.choose_move(0, temperature=0) != PASS


def test_ahead_after_a_pass_the_pass_is_forced():
    root = _after_white_pass(BLACK_AHEAD, komi=0.5)
    assert root.score() > 0
    assert forced_pass(root) and not pass_refused(root)


def test_behind_when_the_opponent_did_not_pass_a_side_may_pass():
    # white to move, behind on the board, black did not pass: one pass does not end the
    # game, so pass stays a candidate and a decided game can end before the move cap
    root = position(BLACK_AHEAD, to_play=-1, komi=0.5)
    assert root.score() * root.to_play < 0
    assert not pass_refused(root) and not forced_pass(root)
    search = BatchedSearch(_pass_lover(), SearchConfig(num_simulations=1), 1, seed=0)
    search.set_root(0, root)
    search.run()
    assert search.root_stats(0).legal[PASS]
    assert search.choose_move(0, temperature=0) == PASS


def test_a_player_that_sees_no_reply_never_passes_while_behind():
    # the network alone cannot see that the opponent may answer its pass with a pass
    behind = position(BLACK_AHEAD, to_play=-1, komi=0.5)
    ahead = position(BLACK_AHEAD, to_play=1, komi=0.5)
    assert pass_refused(behind, sees_reply=False)
    assert not pass_refused(ahead, sees_reply=False)
    assert pass_refused(_after_white_pass(BLACK_AHEAD, komi=7.5), sees_reply=False)


def test_no_legal_point_forces_a_pass():
    full = position([
        "X X X X X",
        "X X X X X",
        "X X . X X",
        "X X X X X",
        "X X X X .",
    ], to_play=-1)
    assert not full.legal_moves()[:PASS].any()
    assert forced_pass(full) and not pass_refused(full)


def test_a_drawn_count_after_a_pass_is_neither_refused_nor_forced():
    root = _after_white_pass(BLACK_AHEAD, komi=5.0)  # 15 - 10 - 5 = 0
    assert root.score() == 0
    assert not pass_refused(root) and not forced_pass(root)


def test_the_winner_captures_dead_stones_when_the_count_needs_it():
    # Black wins in fact but is behind on the count while the dead white stone stands:
    # after white's pass black may not pass; black captures, then the game ends by two
    # passes with black ahead.
    pos = _after_white_pass(DEAD_WHITE_STONE, komi=0.5)
    assert pos.score() < 0 and pass_refused(pos)
    search = BatchedSearch(AreaEvaluator(5, komi=0.5), SearchConfig(num_simulations=200), 1,
                           seed=0)
    search.set_root(0, pos)
    while not pos.is_over() and pos.move_number < 40:
        search.run()
        move = PASS if forced_pass(pos) else search.choose_move(0, temperature=0)
        assert not (move == PASS and pass_refused(pos))
        pos = pos.play(move)
        search.advance(0, move)
    assert pos.is_over() and pos.passes >= 2
    assert pos.board[0, 0] != -1  # the dead stone was captured
    assert pos.score() > 0  # and black wins the count


def test_a_self_play_game_with_a_judge_ends_by_two_passes_before_the_cap():
    # Two searches (one tree per colour) with the area judge play a 5x5 game from the
    # empty board as the self-play loop does (most-visited move, the root's pass guard),
    # komi 7.5 as in the learning test: the game ends by two passes before the 50-move
    # cap. (With a guard that refuses pass whenever the count loses, the losing side never
    # passes and this game runs to the cap.)
    rules = go.RulesConfig(size=5, komi=7.5, max_moves=50)
    config = SearchConfig(num_simulations=32, leaves_per_tree=4)
    pos = go.Position.from_rules(rules)
    searches = {colour: BatchedSearch(AreaEvaluator(5, komi=7.5), config, 1, seed=colour + 2)
                for colour in (1, -1)}
    for search in searches.values():
        search.set_root(0, pos)
    while not pos.is_over():
        search = searches[pos.to_play]
        search.run()
        move = search.choose_move(0, temperature=0)
        assert not (move == PASS and pass_refused(pos))
        pos = pos.play(move)
        for s in searches.values():
            s.advance(0, move)
    assert pos.moves()[-2:] == [PASS, PASS]
    assert pos.move_number < rules.max_moves, pos.moves()


def _pass_q(root: go.Position, pass_floor: bool) -> float:
    """Q of the pass at ``root`` for the player to move, after one simulation that the
    pass-only prior sends to the pass (the evaluator says 0 everywhere)."""
    search = BatchedSearch(_pass_lover(), SearchConfig(num_simulations=1,
                                                       pass_floor=pass_floor), 1, seed=0)
    search.set_root(0, root)
    search.run()
    stats = search.root_stats(0)
    assert stats.visits[PASS] == 1 and stats.visits.sum() == 1
    return float(stats.q[PASS])


def test_the_pass_floor_values_a_pass_that_loses_on_the_count_as_lost():
    # Black passing on the empty board: white passes back and wins by komi. White
    # answering one black stone with a pass: black passes back and wins by 25 - 7.5.
    # The evaluator calls both even (0); the floor makes each a certain loss.
    empty = go.Position.new(5, 7.5)
    one_stone = empty.play(12)
    for root in (empty, one_stone):
        assert _pass_q(root, pass_floor=True) == -1.0
        assert _pass_q(root, pass_floor=False) == 0.0


def test_the_pass_floor_only_raises_the_value_of_the_player_who_can_end_the_game():
    # Black passing with a won count: white's passing back would lose, so the floor
    # (white's count result, -1) is below the evaluator's 0 and changes nothing.
    ahead = position(BLACK_AHEAD, to_play=1, komi=0.5)
    assert ahead.score() > 0
    assert _pass_q(ahead, pass_floor=True) == 0.0
    # a drawn count floors white at 0: the evaluator's 0 stands as well
    drawn = position(BLACK_AHEAD, to_play=1, komi=5.0)
    assert drawn.score() == 0
    assert _pass_q(drawn, pass_floor=True) == 0.0


def _sampled_moves(pass_prior: float) -> tuple[np.ndarray, set[int]]:
    """Visits after 200 simulations (the evaluator's value 0, no pass floor, no first-play
    reduction; only two passes in a row score), the pass at prior ``pass_prior`` and
    point 0 at 0.9 minus it; then 400 moves sampled at temperature 1."""
    priors = np.full(26, 0.1 / 24, np.float32)
    priors[PASS] = pass_prior
    priors[0] = 0.9 - pass_prior
    config = SearchConfig(num_simulations=200, fpu_reduction=0.0, pass_floor=False)
    search = BatchedSearch(FixedPriorEvaluator(priors), config, 1, seed=0)
    search.set_root(0, position(BLACK_AHEAD, to_play=1, komi=0.5))
    search.run()
    return search.visit_counts(0), {search.choose_move(0, temperature=1.0)
                                    for _ in range(400)}


def test_temperature_samples_a_pass_only_when_the_search_prefers_it():
    # sampled by visits, the pass would come up with probability >= 5/200 per draw:
    # at least once in 400 draws but for a chance of 4e-5
    visits, sampled = _sampled_moves(pass_prior=0.3)
    assert 5 <= visits[PASS] < visits.max()
    assert PASS not in sampled
    visits, sampled = _sampled_moves(pass_prior=0.9)
    assert visits[PASS] == visits.max()
    assert PASS in sampled
