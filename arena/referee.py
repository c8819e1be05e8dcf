"""The referee: two GTP programs play each other; the project's rules count the games.

``referee_match(black, white, games, size, komi, ...)`` plays ``games`` games between two
GTP programs through the one match loop (``arena.match_loop.play_match``, each program an
``arena.gtp_player.GtpPlayer``). Program A is the ``black`` command and program B the
``white`` one; with ``alternate`` they swap colours every other game. The loop keeps its
own ``go.Position``: every move an engine generates is checked against the rules before
the opponent sees it; finished games (two passes, or the move limit) are counted with the
project's area scoring; an illegal or unreadable move, a crash, a timeout or an engine
refusing a legal move loses the game, and the reason is recorded. Each game can be written
as one SGF file; ``MatchResult.table()`` summarises wins, the win rate with a 95% interval
and the Elo difference.

``referee_games(command_a, command_b, rules, games, first_colour)`` is the same for the
ladder: outcomes from ``command_a``'s side, with ``command_a`` black first when
``first_colour`` is +1. The command line is ``python -m arena.match``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable

from arena.gtp_player import GtpPlayer, MatchError
from arena.match_loop import GameOutcome, MatchResult, play_match, with_a_as
from go import Position, RulesConfig, sgf
from go.game_record import Game
from gtp.handicap import fixed_handicap_points

__all__ = ["MatchError", "MatchResult", "referee_games", "referee_match"]


def referee_match(
    black: str,
    white: str,
    games: int,
    size: int = 9,
    komi: float = 7.5,
    sgf_dir: str | None = None,
    alternate: bool = False,
    max_moves: int | None = None,
    move_timeout: float = 60.0,
    startup_timeout: float = 120.0,
    command_timeout: float = 30.0,
    report: Callable[[str], None] | None = None,
    handicap: int = 0,
) -> MatchResult:
    """Play ``games`` games between the GTP commands ``black`` (program A) and ``white``
    (program B), swapping colours every other game when ``alternate``.

    ``handicap``: that many fixed handicap stones for black (``gtp.handicap``, sent as
    ``set_free_handicap``), white moving first; 0 for none.

    ``max_moves`` (default ``3 * size * size``) ends and counts a game that runs long;
    ``move_timeout`` bounds one ``genmove`` (seconds), ``startup_timeout`` the first
    answer of a freshly started engine. ``report`` receives one line per finished game.
    Raises ``MatchError`` when an engine refuses the board size or komi.
    """
    if games < 1:
        raise ValueError(f"games must be at least 1, got {games}")
    Position.new(size, komi)  # validates size and komi before any process starts
    if handicap:
        fixed_handicap_points(size, handicap)  # and the handicap
    rules = RulesConfig(size, komi, 3 * size * size if max_moves is None else max_moves)
    if sgf_dir is not None:
        os.makedirs(sgf_dir, exist_ok=True)
    players = {label: GtpPlayer(command, label, move_timeout, startup_timeout,
                                command_timeout)
               for label, command in (("A", black), ("B", white))}
    result = MatchResult()

    def on_game(game: GameOutcome) -> None:
        names = {label: player.name for label, player in players.items()}
        black_name, white_name = names[game.black], names[game.white]
        if sgf_dir is not None:
            path = os.path.join(sgf_dir, f"game-{game.index + 1:04d}.sgf")
            sgf.save(path, _record(game, black_name, white_name, handicap))
            game = dataclasses.replace(game, sgf_path=path)
        result.games.append(game)
        if report is not None:
            report(f"game {game.index + 1}: {game.black} {black_name} (B) vs "
                   f"{game.white} {white_name} (W): {game.result}, {game.reason}, "
                   f"{game.moves} moves")

    try:
        played = play_match(players["A"], players["B"], rules, games, parallel=1,
                            alternate=alternate, on_game=on_game, handicap=handicap)
    finally:
        for player in players.values():
            player.close()
    result.names = played.names
    return result


def referee_games(command_a: str, command_b: str, rules: RulesConfig, games: int,
                  first_colour: int = 1, move_timeout: float = 120.0,
                  report: Callable[[str], None] | None = None, handicap: int = 0
                  ) -> list[GameOutcome]:
    """Play ``games`` games between two GTP programs (see the module docstring); the
    outcomes are from ``command_a``'s side. Colours alternate, ``command_a`` black in the
    first game when ``first_colour`` is +1; with ``handicap`` stones they do not: black,
    who takes the stones, is ``command_a`` in every game when ``first_colour`` is +1. The
    games are counted with ``rules.komi`` and ``rules.max_moves``."""
    if first_colour not in (1, -1):
        raise ValueError(f"first_colour must be +1 or -1, got {first_colour!r}")
    black, white = (command_a, command_b) if first_colour == 1 else (command_b, command_a)
    result = referee_match(black, white, games, size=rules.size, komi=rules.komi,
                           alternate=not handicap, max_moves=rules.max_moves,
                           move_timeout=move_timeout, report=report, handicap=handicap)
    return [with_a_as(game, first_colour == -1) for game in result.games]


def _record(game: GameOutcome, black_name: str, white_name: str, handicap: int = 0
            ) -> Game:
    record = Game.from_position(
        game.final, result=game.result, black_player=black_name, white_player=white_name,
        date=datetime.date.today().isoformat())
    record.comment = f"game {game.index + 1}: {game.reason}"
    record.handicap = handicap
    return record
