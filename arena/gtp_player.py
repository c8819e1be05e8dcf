"""An outside program as a match player: any GTP engine (GNU Go, Pachi, ``python -m gtp``)
driven through ``gtp.client.GtpClient``.

``GtpPlayer(command)`` runs one process per game slot (started on the first game,
restarted after a crash). At the start of each game it sends ``boardsize``,
``clear_board`` and ``komi``, then the game's start: its handicap stones
(``set_free_handicap``) and the moves of an opening (``play``); a refusal there raises
``MatchError`` (the match cannot be played). Its moves come from ``genmove``, and the
opponent's moves reach it by ``play``.
Faults lose the game in that slot (``arena.match_loop.Forfeit``): a crash, a timeout
(``+T``), a broken protocol, a failed ``genmove``, an answer that is not a move, and
refusing a legal move of the opponent. Its legality is checked by the match loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from arena.match_loop import Forfeit
from go import Position, coords
from go.errors import ZerogoError
from gtp.client import EngineCrashed, EngineFailure, EngineTimeout, GtpClient, GtpClientError
from mcts import RESIGN

COLOUR_LETTER = {1: "b", -1: "w"}
COLOUR_NAME = {1: "black", -1: "white"}


class MatchError(ZerogoError, RuntimeError):
    """The match cannot be played at all (an engine refuses the board size, ...)."""


def start_commands(position: Position) -> list[str]:
    """The GTP commands that bring a cleared board to ``position``: its root's black
    stones as ``set_free_handicap`` (with white to move, as GTP's handicap places them),
    then every move since the root as ``play``. ``MatchError`` for a root GTP cannot
    express (white setup stones, or black ones with black to move)."""
    root = position.root()
    size = position.size
    black = np.flatnonzero(root.flat_board == 1)
    white = np.flatnonzero(root.flat_board == -1)
    if white.size or (black.size and root.to_play != -1):
        raise MatchError(f"GTP cannot set up this start ({black.size} black and "
                         f"{white.size} white stones, {COLOUR_NAME[root.to_play]} to move): "
                         f"only black handicap stones with white to move")
    commands = []
    if black.size:
        commands.append("set_free_handicap " + " ".join(coords.to_gtp(int(p), size)
                                                        for p in black))
    colour = root.to_play
    for move in position.moves():
        commands.append(f"play {COLOUR_LETTER[colour]} {coords.to_gtp(move, size)}")
        colour = -colour
    return commands


class GtpPlayer:
    """A GTP program as a ``arena.match_loop.Player`` (see the module docstring).

    Args:
        command: the program's command line.
        label: how messages call it (``"A"``, ``"B"``).
        move_timeout: seconds one ``genmove`` may take.
        startup_timeout: seconds a freshly started program may take to answer ``name``.
        command_timeout: seconds any other command may take.

    ``name`` is the program's ``name`` and ``version`` once it has started (its command
    before). Call ``close`` when done.
    """

    def __init__(self, command: str, label: str = "", move_timeout: float = 60.0,
                 startup_timeout: float = 120.0, command_timeout: float = 30.0) -> None:
        self.command = command
        self.label = label
        self.move_timeout = move_timeout
        self.startup_timeout = startup_timeout
        self.command_timeout = command_timeout
        self.name = command
        self._clients: list[GtpClient | None] = []
        self._to_play: list[int] = []
        self._own: list[bool] = []  # the next observed move is the one it generated
        self._size: list[int] = []

    def reset(self, slots: int) -> None:
        self.close()
        self._clients = [None] * slots
        self._to_play = [1] * slots
        self._own = [False] * slots
        self._size = [0] * slots

    def start(self, slot: int, position: Position) -> None:
        self._to_play[slot] = position.to_play
        self._own[slot] = False
        self._size[slot] = position.size
        for command in [f"boardsize {position.size}", "clear_board",
                        f"komi {position.komi:g}"] + start_commands(position):
            try:
                self._send(slot, command, None)
            except EngineFailure as exc:
                raise MatchError(f"{self.label} ({self.command}) refused {command!r}: "
                                 f"{exc.message}") from None

    def moves(self, slots: Sequence[int], positions: Sequence[Position]
              ) -> list[int | Forfeit]:
        return [self._genmove(int(slot), position)
                for slot, position in zip(slots, positions, strict=True)]

    def observe(self, slot: int, move: int) -> None:
        colour = self._to_play[slot]
        self._to_play[slot] = -colour
        if self._own[slot]:
            self._own[slot] = False
            return
        vertex = coords.to_gtp(move, self._size[slot])
        try:
            self._send(slot, f"play {COLOUR_LETTER[colour]} {vertex}", None)
        except EngineFailure as exc:
            raise Forfeit(f"refused the legal move {vertex} by {COLOUR_NAME[colour]}: "
                          f"{exc.message}") from None

    def close(self) -> None:
        """Stop every process."""
        for client in self._clients:
            if client is not None:
                client.close()
        self._clients = [None] * len(self._clients)

    # ------------------------------------------------------------------ internals
    def _genmove(self, slot: int, position: Position) -> int | Forfeit:
        letter = COLOUR_LETTER[position.to_play]
        try:
            reply = self._send(slot, f"genmove {letter}", self.move_timeout).strip()
        except EngineFailure as exc:
            return Forfeit(f"failed genmove: {exc.message}")
        except Forfeit as forfeit:
            return forfeit
        if reply.lower() == "resign":
            return RESIGN
        try:
            move = coords.from_gtp(reply, position.size)
        except ValueError:
            return Forfeit(f"answered genmove with {reply!r}, not a move")
        self._own[slot] = True
        return move

    def _engine(self, slot: int) -> GtpClient:
        """The slot's running program, started (or restarted) when needed."""
        client = self._clients[slot]
        if client is None or not client.alive:
            if client is not None:
                client.kill()
            client = GtpClient(self.command, label=f"{self.label} ({self.command})",
                               timeout=self.command_timeout)
            self._clients[slot] = client
            name = client.send("name", timeout=self.startup_timeout)
            try:
                version = client.send("version")
            except EngineFailure:
                version = ""
            self.name = f"{name} {version}".strip() or self.command
        return client

    def _send(self, slot: int, command: str, timeout: float | None) -> str:
        """Send ``command``; faults of the process become ``Forfeit``, a GTP failure
        answer (``? ...``) stays ``EngineFailure``."""
        try:
            return self._engine(slot).send(command, timeout=timeout)
        except EngineTimeout:
            raise Forfeit(f"timed out on {command!r}", "T") from None
        except EngineCrashed as exc:
            raise Forfeit(f"crashed: {exc}") from None
        except EngineFailure:
            raise
        except GtpClientError as exc:
            raise Forfeit(f"broke the protocol: {exc}") from None
