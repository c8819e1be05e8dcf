"""The match loop counts results in start order and plays the openings it is given."""

import pytest

from arena.match_loop import StartOrder, play_match
from go import RulesConfig
from mcts import RESIGN

RULES = RulesConfig(5, 7.5, 50)


def test_start_order_releases_results_only_after_every_earlier_game():
    order: StartOrder[str] = StartOrder()
    assert order.add(2, "c") == [] and order.add(1, "b") == [] and order.waiting == 2
    assert order.add(0, "a") == ["a", "b", "c"] and order.counted == 3
    assert order.add(4, "e") == [] and order.add(3, "d") == ["d", "e"]
    assert order.waiting == 0
    with pytest.raises(ValueError, match="game 3 was already counted"):
        order.add(3, "again")


class Scripted:
    """Plays game ``i`` (known from the opening it was started with) by a script:
    ``a`` resigns at once in odd games and passes in even ones; ``b`` always passes."""

    def __init__(self, name: str, resign_odd: bool) -> None:
        self.name = name
        self.resign_odd = resign_odd
        self.game: dict[int, int] = {}

    def reset(self, slots: int) -> None:
        self.game.clear()

    def start(self, slot, position) -> None:
        self.game[slot] = len(position.moves())  # the opening of game i has i % 3 moves

    def moves(self, slots, positions):
        return [RESIGN if self.resign_odd and self.game[s] % 2 == 1 else p.pass_move
                for s, p in zip(slots, positions, strict=True)]

    def observe(self, slot, move) -> None:
        pass


def test_stop_sees_games_in_start_order_and_waiting_games_are_left_out():
    """Games with an odd-length opening end at once (``a`` resigns); the others take two
    passes. With 4 games at once the quick ones finish first, yet ``stop`` sees the games
    in start order, and when it stops the quick later games are not counted."""
    seen = []

    def stop(result) -> bool:
        seen.append([g.index for g in result.games])
        return result.played == 2

    openings = {0: [], 1: [0], 2: [], 3: [1]}  # games 1 and 3: one move played
    a, b = Scripted("a", resign_odd=True), Scripted("b", resign_odd=False)
    result = play_match(a, b, RULES, games=6, parallel=4, stop=stop,
                        opening=lambda i: openings.get(i, []))
    assert seen == [[0], [0, 1]]
    assert [g.index for g in result.games] == [0, 1] and result.stopped_early
    assert result.uncounted == 1  # game 3 had resigned, but game 2 was still running
    assert result.games[1].reason.endswith("resigned")
    assert result.games[0].final.moves() == [25, 25]  # two passes from the empty board
    assert result.games[1].final.moves() == [0]  # the opening, then white resigned


def test_an_illegal_opening_is_refused_with_its_moves():
    a, b = Scripted("a", False), Scripted("b", False)
    with pytest.raises(ValueError, match=r"opening of game 0 \[3, 3\]: move 3 is illegal"):
        play_match(a, b, RULES, games=2, opening=lambda i: [3, 3])
