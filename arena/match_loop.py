"""The one match loop: two players, many games at once, the project's rules as referee.

``play_match(a, b, rules, games)`` plays ``games`` games of player ``a`` against player
``b``, ``parallel`` at once. It serves the gate (two networks with the batched search),
the ladder (networks, the random player, GNU Go) and the referee between two GTP programs
(``arena.referee``), so all their results come from this code.

Players (``Player``; ``arena.players`` and ``arena.gtp_player``) get the positions of all
the games where they are to move in ONE call (``moves``), so an in-process network player
evaluates all those positions, or all their search leaves, in one batch; both players are
told every move played (``observe``).

Game ``i`` (in start order) gives ``a`` the colour ``first_colour`` when ``i`` is even and
the other one when ``i`` is odd (always ``first_colour`` without ``alternate``). The loop
keeps its own ``go.Position`` per game and checks every move against the rules:

* a game ends after two passes or at the move limit, counted by area with komi;
* ``RESIGN`` resigns (``"W+R"``/``"B+R"``);
* an illegal move loses the game (``"W+F"``/``"B+F"``), and so does a ``Forfeit`` a player
  reports (a crash, a timeout (``+T``), an unreadable answer, refusing a legal move).

Outcomes are from ``a``'s side: its colour and the winner (+1 black, -1 white, 0 draw).

Results are counted in start order (``StartOrder``): game ``i`` joins the match's result,
and ``stop`` sees it, only once every game started before ``i`` has finished; games that
finish early wait. So a stopping rule never sees a sample of the shortest games (quick
resignations) ahead of the long ones, which would bias it. With ``opening``, game ``i``
starts from the position after the moves ``opening(i)`` (played from the empty board by
neither player); the gate gives both games of a colour pair (``2k``, ``2k + 1``) the same
opening, so the games differ from pair to pair while the colours stay fair. With
``handicap`` = N (2..9 on 9x9, ``gtp.handicap``), every game starts from the standard
placement of N black stones (GNU Go's ``fixed_handicap``), white to move; whoever is black
takes the stones, so a handicap match usually leaves out ``alternate``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from arena.stats import EloEstimate, format_elo, match_elo, wilson_interval
from go import IllegalMove, Position, RulesConfig, coords
from gtp.handicap import fixed_handicap_points
from mcts import RESIGN

COLOUR_NAME = {1: "black", -1: "white"}

T = TypeVar("T")


class StartOrder(Generic[T]):
    """Releases results in the order their games started, whatever order they finish in.

    ``add(index, item)`` files the result of game ``index`` (0-based, in start order) and
    returns the results that are now countable, in start order: those of the games
    ``counted .. j`` where every game up to ``j`` has finished. ``waiting`` is how many
    finished results still wait for an earlier game.
    """

    def __init__(self) -> None:
        self.counted = 0
        self._pending: dict[int, T] = {}

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def add(self, index: int, item: T) -> list[T]:
        if index < self.counted or index in self._pending:
            raise ValueError(f"game {index} was already counted or filed")
        self._pending[index] = item
        ready = []
        while self.counted in self._pending:
            ready.append(self._pending.pop(self.counted))
            self.counted += 1
        return ready


class Forfeit(Exception):
    """A player loses the game in a slot: raised by ``start``/``observe``, or returned by
    ``moves`` in place of a move.

    reason: what happened, said of the player without its colour (``"crashed: ..."``,
    ``"timed out on 'genmove b'"``); the loop puts the colour in front. code: ``"F"`` for a
    fault, ``"T"`` for a timeout (the result reads ``B+F``, ``W+T``, ...).
    """

    def __init__(self, reason: str, code: str = "F") -> None:
        if code not in ("F", "T"):
            raise ValueError(f"a forfeit's code is 'F' or 'T', got {code!r}")
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Player(Protocol):
    """What the match loop needs from a player."""

    name: str

    def reset(self, slots: int) -> None:
        """Prepare ``slots`` game slots (called once per match)."""

    def start(self, slot: int, position: Position) -> None:
        """A new game begins in ``slot`` at ``position``; may raise ``Forfeit``."""

    def moves(self, slots: Sequence[int], positions: Sequence[Position]
              ) -> list[int | Forfeit]:
        """The moves (flat index, pass = N*N, or ``RESIGN``) in ``positions``, one per slot;
        a ``Forfeit`` in place of a move loses that game."""

    def observe(self, slot: int, move: int) -> None:
        """``move`` was played in ``slot`` (by either side); may raise ``Forfeit``."""


@dataclass(frozen=True)
class GameOutcome:
    """One finished game, from player ``a``'s side.

    a_colour: +1 when ``a`` had black, -1 white. winner: +1 black, -1 white, 0 draw.
    result: SGF result text (``"B+3.5"``, ``"W+R"``, ``"B+F"``, ``"W+T"``). moves: moves
    played (passes included). reason: how it ended (``"counted after two passes"``,
    ``"counted at move limit"``, ``"white resigned"``, ``"illegal move A1 by black:
    occupied"``, ...). These five are what the ladder stores (``to_dict``).

    Not stored, filled by the loop: index (0-based, in start order); final (the last
    position); score (area score ``black - white - komi`` when the game was counted);
    sgf_path (where the referee wrote the game).
    """

    a_colour: int
    winner: int
    result: str
    moves: int
    reason: str
    index: int = field(default=-1, compare=False)
    final: Position | None = field(default=None, compare=False, repr=False)
    score: float | None = field(default=None, compare=False)
    sgf_path: str | None = field(default=None, compare=False)

    STORED = ("a_colour", "winner", "result", "moves", "reason")

    def __post_init__(self) -> None:
        if self.a_colour not in (1, -1):
            raise ValueError(f"a_colour must be +1 or -1, got {self.a_colour!r}")
        if self.winner not in (1, 0, -1):
            raise ValueError(f"winner must be +1, 0 or -1, got {self.winner!r}")

    @property
    def a_points(self) -> float:
        """1 when ``a`` won, 0.5 for a draw, 0 when it lost."""
        return 0.5 if self.winner == 0 else float(self.winner == self.a_colour)

    @property
    def black(self) -> str:
        """The label of the player with black: ``"A"`` (player ``a``) or ``"B"``."""
        return "A" if self.a_colour == 1 else "B"

    @property
    def white(self) -> str:
        return "B" if self.a_colour == 1 else "A"

    @property
    def winner_label(self) -> str | None:
        """``"A"`` or ``"B"``; ``None`` for a draw."""
        if self.winner == 0:
            return None
        return self.black if self.winner == 1 else self.white

    @property
    def forfeit(self) -> bool:
        """Whether the game ended by a fault (illegal move, crash, timeout, refusal)."""
        return self.result.endswith(("+F", "+T"))

    def to_dict(self) -> dict[str, Any]:
        """The stored fields (``STORED``) as JSON-able values."""
        return {key: getattr(self, key) for key in self.STORED}

    @classmethod
    def from_dict(cls, data: Any) -> GameOutcome:
        """Inverse of ``to_dict``; ``ValueError`` naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"a game must be a JSON object, got {data!r}")
        fields = {"a_colour": int, "winner": int, "result": str, "moves": int, "reason": str}
        if set(data) != set(fields):
            raise ValueError(f"a game needs exactly the keys {sorted(fields)}, got "
                             f"{sorted(data)}")
        for key, kind in fields.items():
            if isinstance(data[key], bool) or not isinstance(data[key], kind):
                raise ValueError(f"game key {key!r} must be {kind.__name__}, got {data[key]!r}")
        return cls(**data)


@dataclass
class MatchResult:
    """The finished games of a match, from player ``a``'s (label ``"A"``) side.

    games: the counted outcomes, in start order: game ``i`` is counted once every game
        started before it has finished (``StartOrder``).
    names: what each player calls itself, by label (``"A"``, ``"B"``).
    stopped_early: the ``stop`` function ended the match before every planned game.
    uncounted: games that had finished when ``stop`` ended the match but still waited for
        an earlier game; they are left out of ``games`` (counting them would favour short
        games again).
    """

    games: list[GameOutcome] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    stopped_early: bool = False
    uncounted: int = 0

    @property
    def played(self) -> int:
        return len(self.games)

    @property
    def wins(self) -> int:
        """Games ``a`` won."""
        return sum(1 for g in self.games if g.winner == g.a_colour)

    @property
    def losses(self) -> int:
        return sum(1 for g in self.games if g.winner == -g.a_colour)

    @property
    def draws(self) -> int:
        return sum(1 for g in self.games if g.winner == 0)

    @property
    def score(self) -> float:
        """``a``'s wins plus half the draws."""
        return sum(g.a_points for g in self.games)

    def points(self, label: str) -> float:
        """Wins of ``label`` (``"A"`` or ``"B"``) plus half the draws."""
        return self.score if label == "A" else self.played - self.score

    def won(self, label: str, colour: int | None = None) -> int:
        """Games ``label`` won (as ``colour`` when given, +1 black / -1 white)."""
        return sum(1 for g in self.games if g.winner_label == label and (
            colour is None or (g.black if colour == 1 else g.white) == label))

    def played_as(self, label: str, colour: int) -> int:
        """Games ``label`` played as ``colour``."""
        return sum(1 for g in self.games if (g.black if colour == 1 else g.white) == label)

    def win_rate(self, label: str = "A") -> tuple[float, float, float]:
        """(rate, low, high) of ``label``'s points per game, 95% Wilson interval."""
        points = self.points(label)
        low, high = wilson_interval(points, self.played)
        return (points / self.played if self.played else 0.5), low, high

    def elo(self, label: str = "A") -> EloEstimate:
        """``label``'s Elo minus the other player's, with its 95% interval
        (``arena.stats.match_elo``: finite, a clean sweep included)."""
        return match_elo(self.points(label), self.played)

    def table(self) -> str:
        """The summary printed at the end of a match."""
        width = max(len(n) for n in self.names.values()) + 2
        lines = [f"{'':3}{'program':<{width}}{'wins':>6}{'as black':>11}{'as white':>11}"]
        for label, name in self.names.items():
            as_black = f"{self.won(label, 1)}/{self.played_as(label, 1)}"
            as_white = f"{self.won(label, -1)}/{self.played_as(label, -1)}"
            lines.append(f"{label:<3}{name:<{width}}{self.won(label):>6}{as_black:>11}"
                         f"{as_white:>11}")
        forfeits = sum(1 for g in self.games if g.forfeit)
        lines.append(f"games {self.played}, draws {self.draws}, forfeits {forfeits}")
        if self.games:
            rate, low, high = self.win_rate("A")
            elo = self.elo("A")
            lines.append(f"A win rate {100 * rate:.1f}% (95% CI {100 * low:.1f}% .. "
                         f"{100 * high:.1f}%)")
            lines.append(f"Elo A - B {format_elo(elo.elo)} (95% CI {format_elo(elo.low)} .. "
                         f"{format_elo(elo.high)})")
        return "\n".join(lines)


def play_match(a: Player, b: Player, rules: RulesConfig, games: int, parallel: int = 64,
               first_colour: int = 1, alternate: bool = True,
               on_game: Callable[[GameOutcome], None] | None = None,
               stop: Callable[[MatchResult], bool] | None = None,
               opening: Callable[[int], Sequence[int]] | None = None,
               handicap: int = 0) -> MatchResult:
    """Play up to ``games`` games of ``a`` against ``b`` (see the module docstring).

    ``on_game`` is called with each outcome as its game ends (in finish order). Each time
    a game is counted (in start order, see ``StartOrder``) ``stop(result)`` may end the
    match; games still in progress, and finished ones waiting for an earlier game, are then
    left out, so the result holds the complete games ``0 .. played - 1`` (``stopped_early``
    says whether some were missing). ``opening(i)``: the moves (flat indices, legal, not
    ending the game) played before game ``i`` starts; ``None``: the empty board.
    ``handicap``: black's fixed handicap stones (0: none; else ``ValueError`` naming a
    count the board cannot take), white to move first. Any
    exception a player raises other than ``Forfeit`` (a program refusing the board size,
    say) ends the match and propagates.
    """
    if games < 1 or parallel < 1:
        raise ValueError(f"a match needs games >= 1 and parallel >= 1, got {games}, {parallel}")
    if first_colour not in (1, -1):
        raise ValueError(f"first_colour must be +1 or -1, got {first_colour!r}")
    if a is b:
        raise ValueError(f"a player cannot play itself: {a.name!r}")
    stones = fixed_handicap_points(rules.size, handicap) if handicap else []
    match = _Match(a, b, rules, games, min(parallel, games), first_colour, alternate,
                   on_game, stop, opening, stones)
    match.run()
    return match.result


class _Match:
    """The state of one ``play_match`` call: slots, their positions and colours."""

    def __init__(self, a: Player, b: Player, rules: RulesConfig, games: int, slots: int,
                 first_colour: int, alternate: bool,
                 on_game: Callable[[GameOutcome], None] | None,
                 stop: Callable[[MatchResult], bool] | None,
                 opening: Callable[[int], Sequence[int]] | None,
                 handicap_stones: Sequence[int] = ()) -> None:
        self.players = {1: a, -1: b}  # by side: +1 is a, -1 is b
        self.rules = rules
        self.handicap_stones = list(handicap_stones)
        self.games = games
        self.first_colour = first_colour
        self.alternate = alternate
        self.on_game = on_game
        self.stop = stop
        self.opening = opening
        self.order: StartOrder[GameOutcome] = StartOrder()
        self.index = [-1] * slots  # game index per slot, -1: idle
        self.colour = [0] * slots  # a's colour per slot
        self.positions: list[Position | None] = [None] * slots
        self.started = 0
        self.stopped = False
        self.result = MatchResult()
        for player in (a, b):
            player.reset(slots)

    def _names(self) -> None:
        self.result.names = {"A": self.players[1].name, "B": self.players[-1].name}

    def run(self) -> None:
        for slot in range(len(self.index)):
            if not self.stopped:
                self._fill(slot)
        while not self.stopped and any(i >= 0 for i in self.index):
            for side, player in self.players.items():
                turn = [s for s, i in enumerate(self.index) if i >= 0
                        and self.positions[s].to_play == self.colour[s] * side]
                if turn:
                    chosen = player.moves(turn, [self.positions[s] for s in turn])
                    for slot, move in zip(turn, chosen, strict=True):
                        if not self.stopped:
                            self._play(slot, move)
                if self.stopped:
                    break
        self._names()

    def _fill(self, slot: int) -> None:
        """Start the next game in ``slot`` (another when a player forfeits at the start),
        or leave the slot idle when every game has started."""
        while self.started < self.games and not self.stopped:
            self.index[slot] = self.started
            colour = self.first_colour
            if self.alternate and self.started % 2 == 1:
                colour = -colour
            self.colour[slot] = colour
            self.started += 1
            position = self._opening(self.started - 1)
            self.positions[slot] = position
            try:
                for side, player in self.players.items():
                    mover = colour * side
                    player.start(slot, position)
            except Forfeit as forfeit:
                self._forfeit(slot, mover, forfeit, refill=False)
                continue
            return
        self.index[slot] = -1

    def _opening(self, index: int) -> Position:
        if self.handicap_stones:
            position = Position.setup(self.rules.size, self.rules.komi,
                                      black=self.handicap_stones, to_play=-1,
                                      max_moves=self.rules.max_moves)
        else:
            position = Position.from_rules(self.rules)
        moves = [] if self.opening is None else list(self.opening(index))
        for move in moves:
            try:
                position = position.play(int(move))
            except IllegalMove as exc:
                raise ValueError(f"opening of game {index} {moves}: move {move} is illegal "
                                 f"({exc.reason})") from None
        if position.is_over():
            raise ValueError(f"opening of game {index} {moves} ends the game")
        return position

    def _play(self, slot: int, move: int | Forfeit) -> None:
        position = self.positions[slot]
        who = position.to_play
        if isinstance(move, Forfeit):
            self._forfeit(slot, who, move)
            return
        if move == RESIGN:
            self._finish(slot, -who, f"{'W' if who == 1 else 'B'}+R",
                         f"{COLOUR_NAME[who]} resigned")
            return
        try:
            after = position.play(int(move))
        except IllegalMove as exc:
            vertex = (coords.to_gtp(int(move), position.size)
                      if 0 <= move <= position.pass_move else str(move))
            self._lose(slot, who, "F", f"illegal move {vertex} by {COLOUR_NAME[who]}: "
                                       f"{exc.reason}")
            return
        self.positions[slot] = after
        for side, player in self.players.items():
            try:
                player.observe(slot, int(move))
            except Forfeit as forfeit:
                self._forfeit(slot, self.colour[slot] * side, forfeit)
                return
        if after.is_over():
            reason = ("counted after two passes" if after.passes >= 2
                      else "counted at move limit")
            self._finish(slot, after.winner(), after.result_string(), reason,
                         score=after.score())

    def _forfeit(self, slot: int, loser: int, forfeit: Forfeit, refill: bool = True) -> None:
        self._lose(slot, loser, forfeit.code, f"{COLOUR_NAME[loser]} {forfeit.reason}", refill)

    def _lose(self, slot: int, loser: int, code: str, reason: str, refill: bool = True
              ) -> None:
        letter = "W" if loser == 1 else "B"
        self._finish(slot, -loser, f"{letter}+{code}", reason, refill=refill)

    def _finish(self, slot: int, winner: int, result: str, reason: str,
                score: float | None = None, refill: bool = True) -> None:
        final = self.positions[slot]
        outcome = GameOutcome(self.colour[slot], int(winner), result, final.move_number,
                              reason, index=self.index[slot], final=final, score=score)
        self.index[slot] = -1
        self._names()
        if self.on_game is not None:
            self.on_game(outcome)
        for counted in self.order.add(outcome.index, outcome):
            self.result.games.append(counted)
            if self.stop is not None and self.stop(self.result):
                self.stopped = True
                self.result.stopped_early = self.result.played < self.games
                self.result.uncounted = self.order.waiting + (
                    self.order.counted - self.result.played)
                return
        if refill:
            self._fill(slot)


def with_a_as(outcome: GameOutcome, a_is_b: bool) -> GameOutcome:
    """``outcome`` seen from the other player's side when ``a_is_b`` (the colours of ``a``
    flip, the winner stays)."""
    if not a_is_b:
        return outcome
    return dataclasses.replace(outcome, a_colour=-outcome.a_colour)
