"""The referee: two GTP programs play each other; the project's rules count the games.

``python -m arena.referee --black "CMD" --white "CMD" --games N --size 9 --komi 7.5
--sgf-dir DIR [--alternate]`` plays N games. Program A is the ``--black`` command and
program B the ``--white`` one; with ``--alternate`` they swap colours every other game.
The referee keeps its own ``go.Position``: every move an engine generates is checked
against the rules before the opponent sees it; finished games (two passes, or the move
limit) are counted with the project's area scoring; an illegal or unreadable move, a crash,
a timeout or an engine refusing a legal move loses the game, and the reason is recorded.
Each game is written as one SGF file; a table of wins, the win rate with a 95% confidence
interval and the Elo difference ends the report.

``play_match(...)`` does the same as a function and returns a ``MatchResult``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from go import IllegalMove, Position, coords, sgf
from go.errors import ZerogoError
from go.game_record import Game
from gtp.client import EngineCrashed, EngineFailure, EngineTimeout, GtpClient, GtpClientError
from gtp.match_stats import elo_difference, format_elo, wilson_interval

COLOUR_LETTER = {1: "b", -1: "w"}
COLOUR_NAME = {1: "black", -1: "white"}


class MatchError(ZerogoError, RuntimeError):
    """The match cannot be played at all (an engine refuses the board size, ...)."""


@dataclass
class GameResult:
    """One game.

    ``winner`` is +1 (black), -1 (white) or 0 (draw); ``result`` the SGF ``RE`` text
    (``"B+3.5"``, ``"W+R"``, ``"B+T"``, ``"W+F"``); ``reason`` says how it ended
    (``"counted"``, ``"move limit"``, ``"white resigned"``, ``"illegal move ... by
    black"``, ...); ``score`` is the area score ``black - white - komi`` when the game was
    counted; ``final`` the last position, ``moves`` its moves (flat indices).
    """

    index: int
    black: str
    white: str
    winner: int
    result: str
    reason: str
    final: Position
    score: float | None = None
    sgf_path: str | None = None

    @property
    def moves(self) -> list[int]:
        """The game's moves (flat indices, pass = N*N)."""
        return self.final.moves()

    @property
    def winner_label(self) -> str | None:
        """The label (``"A"``/``"B"``) of the winner; ``None`` for a draw."""
        if self.winner == 0:
            return None
        return self.black if self.winner == 1 else self.white

    @property
    def forfeit(self) -> bool:
        """Whether the game ended by a fault (illegal move, crash, timeout, refusal)."""
        return self.result.endswith(("+F", "+T"))


@dataclass
class MatchResult:
    """All games of a match; ``names[label]`` is what each program calls itself."""

    names: dict[str, str]
    games: list[GameResult] = field(default_factory=list)

    def points(self, label: str) -> float:
        """Wins of ``label`` plus half the draws."""
        return sum(1.0 if g.winner_label == label else 0.5 if g.winner == 0 else 0.0
                   for g in self.games)

    def wins(self, label: str, colour: int | None = None) -> int:
        """Games ``label`` won (as ``colour`` when given, +1 black / -1 white)."""
        return sum(1 for g in self.games if g.winner_label == label and (
            colour is None or (g.black if colour == 1 else g.white) == label))

    def played(self, label: str, colour: int) -> int:
        """Games ``label`` played as ``colour``."""
        return sum(1 for g in self.games if (g.black if colour == 1 else g.white) == label)

    def win_rate(self, label: str = "A") -> tuple[float, float, float]:
        """(rate, low, high) of ``label``'s points per game, 95% Wilson interval."""
        n = len(self.games)
        points = self.points(label)
        low, high = wilson_interval(points, n)
        return (points / n if n else 0.5), low, high

    def elo(self, label: str = "A") -> tuple[float, float, float]:
        """(difference, low, high): ``label``'s Elo minus the other program's."""
        rate, low, high = self.win_rate(label)
        return elo_difference(rate), elo_difference(low), elo_difference(high)

    def table(self) -> str:
        """The summary printed at the end of a match."""
        width = max(len(n) for n in self.names.values()) + 2
        lines = [f"{'':3}{'program':<{width}}{'wins':>6}{'as black':>11}{'as white':>11}"]
        for label, name in self.names.items():
            as_black = f"{self.wins(label, 1)}/{self.played(label, 1)}"
            as_white = f"{self.wins(label, -1)}/{self.played(label, -1)}"
            lines.append(f"{label:<3}{name:<{width}}{self.wins(label):>6}{as_black:>11}"
                         f"{as_white:>11}")
        draws = sum(1 for g in self.games if g.winner == 0)
        forfeits = sum(1 for g in self.games if g.forfeit)
        lines.append(f"games {len(self.games)}, draws {draws}, forfeits {forfeits}")
        if self.games:
            rate, low, high = self.win_rate("A")
            elo, elo_low, elo_high = self.elo("A")
            lines.append(f"A win rate {100 * rate:.1f}% (95% CI {100 * low:.1f}% .. "
                         f"{100 * high:.1f}%)")
            lines.append(f"Elo A - B {format_elo(elo)} (95% CI {format_elo(elo_low)} .. "
                         f"{format_elo(elo_high)})")
        return "\n".join(lines)


class _Seat:
    """A program in the match: its command, and its process, restarted after a fault."""

    def __init__(self, label: str, command: str, startup_timeout: float,
                 command_timeout: float) -> None:
        self.label = label
        self.command = command
        self.startup_timeout = startup_timeout
        self.command_timeout = command_timeout
        self.client: GtpClient | None = None
        self.name = command

    def engine(self) -> GtpClient:
        """The running engine, started (or restarted) when needed."""
        if self.client is None or not self.client.alive:
            if self.client is not None:
                self.client.kill()
            self.client = GtpClient(self.command, label=f"{self.label} ({self.command})",
                                    timeout=self.command_timeout)
            name = self.client.send("name", timeout=self.startup_timeout)
            try:
                version = self.client.send("version")
            except EngineFailure:
                version = ""
            self.name = f"{name} {version}".strip() or self.command
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


class _Fault(Exception):
    """A game lost by ``colour`` for ``reason`` (``code`` is F or T in the result)."""

    def __init__(self, colour: int, reason: str, code: str = "F") -> None:
        super().__init__(reason)
        self.colour = colour
        self.reason = reason
        self.code = code


def _call(seat: _Seat, colour: int, command: str, timeout: float | None = None) -> str:
    """Send ``command`` to the engine of ``colour``; faults become ``_Fault``."""
    who = COLOUR_NAME[colour]
    try:
        return seat.engine().send(command, timeout=timeout)
    except EngineTimeout:
        raise _Fault(colour, f"{who} timed out on {command!r}", "T") from None
    except EngineCrashed as exc:
        raise _Fault(colour, f"{who} crashed: {exc}") from None
    except EngineFailure:
        raise
    except GtpClientError as exc:
        raise _Fault(colour, f"{who} broke the protocol: {exc}") from None


def play_game(
    black: _Seat,
    white: _Seat,
    size: int,
    komi: float,
    max_moves: int,
    move_timeout: float,
) -> tuple[Position, int, str, str, float | None]:
    """Play one game; returns ``(final position, winner, RE text, reason, score)``."""
    seats = {1: black, -1: white}
    position = Position.new(size, komi, max_moves=max_moves)
    try:
        for colour, seat in seats.items():
            for command in (f"boardsize {size}", "clear_board", f"komi {komi:g}"):
                try:
                    _call(seat, colour, command)
                except EngineFailure as exc:
                    raise MatchError(f"{seat.label} ({seat.command}) refused {command!r}: "
                                     f"{exc.message}") from None
        while not position.is_over():
            colour = position.to_play
            who = COLOUR_NAME[colour]
            try:
                reply = _call(seats[colour], colour, f"genmove {COLOUR_LETTER[colour]}",
                              timeout=move_timeout)
            except EngineFailure as exc:
                raise _Fault(colour, f"{who} failed genmove: {exc.message}") from None
            if reply.strip().lower() == "resign":
                letter = "W" if colour == 1 else "B"
                return position, -colour, f"{letter}+R", f"{who} resigned", None
            try:
                move = coords.from_gtp(reply.strip(), size)
            except ValueError:
                raise _Fault(colour, f"{who} answered genmove with {reply!r}, not a move") \
                    from None
            try:
                position = position.play(move)
            except IllegalMove as exc:
                raise _Fault(colour, f"illegal move {reply.strip()} by {who}: {exc.reason}") \
                    from None
            vertex = coords.to_gtp(move, size)
            try:
                _call(seats[-colour], -colour, f"play {COLOUR_LETTER[colour]} {vertex}")
            except EngineFailure as exc:
                raise _Fault(-colour, f"{COLOUR_NAME[-colour]} refused the legal move "
                                      f"{vertex} by {who}: {exc.message}") from None
    except _Fault as fault:
        letter = "W" if fault.colour == 1 else "B"
        return position, -fault.colour, f"{letter}+{fault.code}", fault.reason, None
    score = position.score()
    reason = "counted after two passes" if position.passes >= 2 else "counted at move limit"
    return position, position.winner(), position.result_string(), reason, score


def play_match(
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
) -> MatchResult:
    """Play ``games`` games between the GTP commands ``black`` (program A) and ``white``
    (program B), swapping colours every other game when ``alternate``.

    ``max_moves`` (default ``3 * size * size``) ends and counts a game that runs long;
    ``move_timeout`` bounds one ``genmove`` (seconds), ``startup_timeout`` the first
    answer of a freshly started engine. ``report`` receives one line per finished game.
    Raises ``MatchError`` when an engine refuses the board size or komi.
    """
    if games < 1:
        raise ValueError(f"games must be at least 1, got {games}")
    Position.new(size, komi)  # validates size and komi before any process starts
    limit = 3 * size * size if max_moves is None else max_moves
    if sgf_dir is not None:
        os.makedirs(sgf_dir, exist_ok=True)
    seats = {"A": _Seat("A", black, startup_timeout, command_timeout),
             "B": _Seat("B", white, startup_timeout, command_timeout)}
    result = MatchResult(names={})
    try:
        for index in range(games):
            swap = alternate and index % 2 == 1
            black_seat, white_seat = (seats["B"], seats["A"]) if swap else (
                seats["A"], seats["B"])
            final, winner, re_text, reason, score = play_game(
                black_seat, white_seat, size, komi, limit, move_timeout)
            result.names = {label: seat.name for label, seat in seats.items()}
            game = GameResult(index + 1, black_seat.label, white_seat.label, winner, re_text,
                              reason, final, score)
            if sgf_dir is not None:
                game.sgf_path = os.path.join(sgf_dir, f"game-{index + 1:04d}.sgf")
                sgf.save(game.sgf_path, _record(game, black_seat.name, white_seat.name))
            result.games.append(game)
            if report is not None:
                report(f"game {game.index}: {game.black} {black_seat.name} (B) vs "
                       f"{game.white} {white_seat.name} (W): {re_text}, {reason}, "
                       f"{len(final.moves())} moves")
    finally:
        for seat in seats.values():
            seat.close()
    return result


def _record(game: GameResult, black_name: str, white_name: str) -> Game:
    record = Game.from_position(
        game.final, result=game.result, black_player=black_name, white_player=white_name,
        date=datetime.date.today().isoformat())
    record.comment = f"game {game.index}: {game.reason}"
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: play the match, print one line per game, then the table."""
    parser = argparse.ArgumentParser(
        prog="python -m arena.referee", description="Play two GTP programs against each other.")
    parser.add_argument("--black", required=True, help="command of program A (black first)")
    parser.add_argument("--white", required=True, help="command of program B (white first)")
    parser.add_argument("--games", type=int, default=2)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--sgf-dir", default=None, help="write game-NNNN.sgf files here")
    parser.add_argument("--alternate", action="store_true", help="swap colours every game")
    parser.add_argument("--max-moves", type=int, default=None,
                        help="count a game after this many moves (default 3 * size^2)")
    parser.add_argument("--move-timeout", type=float, default=60.0,
                        help="seconds one genmove may take before the mover loses")
    args = parser.parse_args(argv)
    try:
        result = play_match(
            args.black, args.white, args.games, args.size, args.komi, args.sgf_dir,
            args.alternate, args.max_moves, args.move_timeout,
            report=lambda line: print(line, flush=True))
    except (MatchError, ValueError, GtpClientError) as exc:
        print(f"match failed: {exc}", file=sys.stderr)
        return 2
    print(result.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
