"""Ladder matches: in-process between two batched players, or over GTP through the referee.

``play_games(a, b, rules, games)`` plays ``games`` games of player ``a`` against player
``b`` (``arena.players``), ``parallel`` at once. Game ``i`` gives ``a`` black when
``first_colour * (-1) ** i`` is +1, so a match resumed after an odd number of stored games
keeps alternating. Every turn each player gets the positions of all games where it is to
move in one call. Games end by two passes, the move limit (both counted by area with
komi), or resignation.

``play_gtp_games(command_a, command_b, rules, games)`` does the same for two GTP programs
(GNU Go, a checkpoint served by ``python -m gtp``) through ``arena.referee.play_match``, the
referee that checks every move with the project's rules and scores with them.

Both return ``GameOutcome``s from ``a``'s side: its colour and the winner (+1 black,
-1 white, 0 draw).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from arena.players import RESIGN, Player
from go import Position, RulesConfig


@dataclass(frozen=True)
class GameOutcome:
    """One finished ladder game.

    a_colour: +1 when player ``a`` had black, -1 white. winner: +1 black, -1 white, 0 draw.
    result: SGF result text (``"B+3.5"``, ``"W+R"``, ``"B+F"``). moves: moves played
    (passes included). reason: how it ended (``"counted"``, ``"resigned"``, ...).
    """

    a_colour: int
    winner: int
    result: str
    moves: int
    reason: str

    def __post_init__(self) -> None:
        if self.a_colour not in (1, -1):
            raise ValueError(f"a_colour must be +1 or -1, got {self.a_colour!r}")
        if self.winner not in (1, 0, -1):
            raise ValueError(f"winner must be +1, 0 or -1, got {self.winner!r}")

    @property
    def a_points(self) -> float:
        """1 when ``a`` won, 0.5 for a draw, 0 when it lost."""
        return 0.5 if self.winner == 0 else float(self.winner == self.a_colour)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

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


def play_games(a: Player, b: Player, rules: RulesConfig, games: int, parallel: int = 64,
               first_colour: int = 1,
               on_game: Callable[[GameOutcome], None] | None = None) -> list[GameOutcome]:
    """Play ``games`` games of ``a`` against ``b`` in-process (see the module docstring).

    ``on_game`` is called with each outcome as its game ends. Returns the outcomes in the
    order the games were started.
    """
    if games < 1 or parallel < 1:
        raise ValueError(f"a match needs games >= 1 and parallel >= 1, got {games}, {parallel}")
    if first_colour not in (1, -1):
        raise ValueError(f"first_colour must be +1 or -1, got {first_colour!r}")
    if a is b:
        raise ValueError(f"a player cannot play itself: {a.name!r}")
    slots = min(parallel, games)
    for player in (a, b):
        player.reset(slots)
    outcomes: dict[int, GameOutcome] = {}
    index = np.full(slots, -1, np.int64)  # game index per slot, -1: idle
    colour = np.zeros(slots, np.int8)  # a's colour per slot
    positions: list[Position | None] = [None] * slots
    started = 0

    def start(slot: int) -> None:
        nonlocal started
        index[slot] = started
        colour[slot] = first_colour if started % 2 == 0 else -first_colour
        started += 1
        positions[slot] = Position.from_rules(rules)
        for player in (a, b):
            player.start(slot, positions[slot])

    def finish(slot: int, outcome: GameOutcome) -> None:
        outcomes[int(index[slot])] = outcome
        index[slot] = -1
        if on_game is not None:
            on_game(outcome)
        if started < games:
            start(slot)

    for slot in range(slots):
        start(slot)
    while (index >= 0).any():
        for side, player in ((1, a), (-1, b)):
            turn = [s for s in np.flatnonzero(index >= 0)
                    if positions[s].to_play == colour[s] * side]
            if not turn:
                continue
            chosen = player.moves(turn, [positions[s] for s in turn])
            for slot, move in zip(turn, chosen, strict=True):
                position = positions[slot]
                if move == RESIGN:
                    winner = -position.to_play
                    letter = "B" if winner == 1 else "W"
                    finish(slot, GameOutcome(int(colour[slot]), winner, f"{letter}+R",
                                             position.move_number, "resigned"))
                    continue
                position = position.play(int(move))
                positions[slot] = position
                for p in (a, b):
                    p.observe(slot, int(move))
                if position.is_over():
                    reason = "counted" if position.passes >= 2 else "counted at move limit"
                    finish(slot, GameOutcome(int(colour[slot]), position.winner(),
                                             position.result_string(), position.move_number,
                                             reason))
    return [outcomes[i] for i in range(games)]


def play_gtp_games(command_a: str, command_b: str, rules: RulesConfig, games: int,
                   first_colour: int = 1, move_timeout: float = 120.0,
                   report: Callable[[str], None] | None = None) -> list[GameOutcome]:
    """Play ``games`` games between two GTP programs through ``arena.referee.play_match``.

    Program ``a`` (``command_a``) has black in the first game when ``first_colour`` is +1;
    colours alternate. The referee counts games by the project's rules with
    ``rules.komi`` and ``rules.max_moves``; a program that makes an illegal move, crashes
    or times out loses that game (result ``B+F``/``W+F``/``+T``).
    """
    from arena.referee import play_match

    if first_colour not in (1, -1):
        raise ValueError(f"first_colour must be +1 or -1, got {first_colour!r}")
    black, white = (command_a, command_b) if first_colour == 1 else (command_b, command_a)
    result = play_match(black, white, games, size=rules.size, komi=rules.komi,
                        alternate=True, max_moves=rules.max_moves,
                        move_timeout=move_timeout, report=report)
    a_label = "A" if first_colour == 1 else "B"
    outcomes = []
    for game in result.games:
        a_colour = 1 if game.black == a_label else -1
        outcomes.append(GameOutcome(a_colour, int(game.winner), game.result,
                                    len(game.moves), game.reason))
    return outcomes
