"""GTP commands that set up, change and report the board (no search involved).

``boardsize``, ``clear_board``, ``komi``, ``get_komi``, ``play``, ``undo``, ``showboard``,
``final_score``, ``final_status_list``, ``fixed_handicap``, ``place_free_handicap``,
``set_free_handicap``, ``loadsgf``, ``printsgf`` (which writes only to ``.sgf`` file
names). Error messages start with the specification's (``illegal move``, ``cannot undo``,
``unacceptable size``, ...); numbers and vertices out of range are named after it
(``unacceptable size: 99``, ``bad vertex list: ...``), other details go to the log. Every
argument is checked before anything changes: a refused command leaves the game as it was.

Komi is a whole or half number with ``|komi| <= 150`` (``gtp.game_state.check_komi``).

Scoring is area (Tromp-Taylor) with komi. With a network that predicts final ownership
(``ownership`` given), ``final_status_list dead`` lists the chains it gives to the
opponent (``gtp.ownership``), ``alive`` the others, and ``final_score`` counts the area
once the dead chains are taken off, as GNU Go does with ``--chinese-rules``. Without it,
every stone counts as alive: ``final_score`` is exactly what the referee and self-play
count, ``alive`` lists every chain, and ``dead`` answers an error saying the network
cannot tell dead stones.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TextIO

import numpy as np

from go import IllegalMove, coords, sgf
from go.game_record import Game
from go.position import MAX_SIZE, MIN_SIZE
from gtp.game_state import (
    BLACK,
    MAX_KOMI,
    WHITE,
    GameState,
    Setup,
    check_komi,
    parse_colour,
)
from gtp.handicap import fixed_handicap_points
from gtp.ownership import dead_chains, result_string, score_without
from gtp.protocol import (
    Arg,
    CommandSpec,
    GtpError,
    parse_float,
    parse_int,
    parse_string,
    shown,
)

STATUSES = ("alive", "dead", "seki")
MAX_SGF_BYTES = 10 * 2**20  # loadsgf refuses larger files (and anything not a regular file)
MAX_VERTEX_CHARS = 4  # "pass", "T19": anything longer is refused unread


def parse_status(text: str) -> str:
    """``alive`` / ``dead`` / ``seki`` (case-insensitive)."""
    lowered = text.lower()
    if lowered not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {shown(text)}")
    return lowered


def parse_komi(text: str) -> float:
    """GTP ``komi`` argument: a decimal number that ``check_komi`` accepts (whole or half,
    ``|komi| <= 150``, ``-0`` read as 0); ``ValueError`` naming the text otherwise."""
    value = parse_float(text)
    try:
        return check_komi(value)
    except ValueError:
        raise ValueError(f"{shown(text)} is not a whole or half number between "
                         f"{-MAX_KOMI:g} and {MAX_KOMI:g}") from None


def parse_vertex(text: str, size: int) -> int:
    """GTP vertex on a ``size`` board -> flat index (pass = N*N); ``ValueError`` naming
    the text (cut when long) for anything else, however long."""
    if len(text) > MAX_VERTEX_CHARS:
        raise ValueError(f"{shown(text)} is not a vertex (longer than "
                         f"{MAX_VERTEX_CHARS} characters)")
    return coords.from_gtp(text, size)


class BoardCommands:
    """The board commands over one ``GameState``.

    ``accept_size(n)`` says whether the engine can play on an ``n`` board (``boardsize``
    answers ``unacceptable size`` otherwise); ``on_change()`` runs after every change of
    the game (the engine drops its search tree there). ``ownership()`` gives the network's
    predicted final ownership of the current position, ``float[N*N]`` in absolute colours
    (+1 black), or ``None`` when the network has no ownership head.
    """

    def __init__(
        self,
        state: GameState,
        accept_size: Callable[[int], bool] = lambda size: True,
        on_change: Callable[[], None] = lambda: None,
        log: TextIO | None = None,
        program: str = "zerogo",
        ownership: Callable[[], np.ndarray | None] = lambda: None,
    ) -> None:
        self.state = state
        self.ownership = ownership
        self.accept_size = accept_size
        self.on_change = on_change
        self.log = log
        self.program = program

    def _log(self, message: str) -> None:
        print(message, file=self.log if self.log is not None else sys.stderr, flush=True)

    def vertex(self, text: str) -> int:
        """GTP vertex on the current board -> flat index (pass = N*N); ``ValueError``."""
        return parse_vertex(text, self.state.size)

    def specs(self) -> list[CommandSpec]:
        """The command table entries."""
        colour = Arg("colour", parse_colour)
        vertex = Arg("vertex", self.vertex)
        count = Arg("number_of_stones", parse_int)
        return [
            CommandSpec("boardsize", self.boardsize, (Arg("size", parse_int),)),
            CommandSpec("clear_board", self.clear_board),
            CommandSpec("komi", self.komi, (Arg("komi", parse_komi),)),
            CommandSpec("get_komi", lambda: _number(self.state.komi)),
            CommandSpec("play", self.play, (colour, vertex)),
            CommandSpec("undo", self.undo),
            CommandSpec("showboard", self.showboard),
            CommandSpec("final_score", self.final_score),
            CommandSpec("final_status_list", self.final_status_list,
                        (Arg("status", parse_status),)),
            CommandSpec("fixed_handicap", self.fixed_handicap, (count,)),
            CommandSpec("place_free_handicap", self.place_free_handicap, (count,)),
            CommandSpec("set_free_handicap", self.set_free_handicap, (),
                        Arg("vertex", parse_string), 1),
            CommandSpec("loadsgf", self.loadsgf, (Arg("filename", parse_string),
                                                  Arg("move_number", parse_int, True))),
            CommandSpec("printsgf", self.printsgf, (Arg("filename", parse_string, True),)),
        ]

    # ------------------------------------------------------------------ handlers
    def boardsize(self, size: int) -> None:
        if not MIN_SIZE <= size <= MAX_SIZE or not self.accept_size(size):
            self._log(f"boardsize: cannot play on {size}x{size}")
            raise GtpError(f"unacceptable size: {size}")
        self.state.clear(size)
        self.on_change()

    def clear_board(self) -> None:
        self.state.clear()
        self.on_change()

    def komi(self, komi: float) -> None:
        self.state.set_komi(komi)
        self.on_change()

    def play(self, colour: int, move: int) -> None:
        try:
            self.state.play(colour, move)
        except IllegalMove as exc:
            self._log(f"play: {exc}")
            raise GtpError("illegal move") from None
        self.on_change()

    def undo(self) -> None:
        if not self.state.undo():
            raise GtpError("cannot undo")
        self.on_change()

    def showboard(self) -> str:
        return "\n" + board_diagram(self.state)

    def _dead(self) -> list[list[int]] | None:
        """The dead chains by the network's ownership; ``None`` without an ownership head."""
        ownership = self.ownership()
        if ownership is None:
            return None
        return dead_chains(self.state.position.flat_board, self.state.chains(), ownership)

    def final_score(self) -> str:
        dead = self._dead()
        if dead is None:
            return self.state.position.result_string()
        return result_string(score_without(self.state.position.flat_board, self.state.size,
                                           self.state.komi, dead))

    def final_status_list(self, status: str) -> str:
        if status == "seki":
            return ""
        dead = self._dead()
        if dead is None and status == "dead":
            raise GtpError("cannot tell dead stones: the network has no ownership head "
                           "(every stone counts as alive)")
        dead_points = {p for chain in dead or () for p in chain}
        wanted = [chain for chain in self.state.chains()
                  if (chain[0] in dead_points) == (status == "dead")]
        size = self.state.size
        return "\n".join(" ".join(coords.to_gtp(p, size) for p in chain) for chain in wanted)

    def fixed_handicap(self, stones: int) -> str:
        try:
            points = fixed_handicap_points(self.state.size, stones)
        except ValueError as exc:
            self._log(f"fixed_handicap: {exc}")
            raise GtpError(f"invalid number of stones: {exc}") from None
        return self._place_handicap(points)

    def place_free_handicap(self, stones: int) -> str:
        """The engine chooses: the fixed layout, the most stones it allows."""
        size = self.state.size
        if not 2 <= stones <= size * size - 1:
            raise GtpError(f"invalid number of stones: {stones} (a {size}x{size} board "
                           f"takes 2 to {size * size - 1})")
        for n in range(min(stones, 9), 1, -1):
            try:
                return self._place_handicap(fixed_handicap_points(size, n))
            except ValueError:
                continue
        self._log(f"place_free_handicap: no standard layout on {size}x{size}")
        raise GtpError("invalid number of stones")

    def set_free_handicap(self, vertices: list[str]) -> None:
        size = self.state.size
        try:
            points = [parse_vertex(v, size) for v in vertices]
        except ValueError as exc:
            self._log(f"set_free_handicap: {exc}")
            raise GtpError(f"bad vertex list: {exc}") from None
        if (len(points) < 2 or len(points) > size * size - 1 or size * size in points
                or len(set(points)) != len(points)):
            self._log(f"set_free_handicap: bad list {vertices}")
            raise GtpError(f"bad vertex list: a {size}x{size} board takes 2 to "
                           f"{size * size - 1} distinct points, no pass (got {len(points)})")
        self._place_handicap(points)

    def _place_handicap(self, points: list[int]) -> str:
        if not self.state.is_empty():
            raise GtpError("board not empty")
        try:
            self.state.place_setup(tuple(points))
        except ValueError as exc:  # stones without liberties on a tiny board
            self._log(f"handicap: {exc}")
            raise GtpError("bad vertex list") from None
        self.on_change()
        return " ".join(coords.to_gtp(p, self.state.size) for p in points)

    def loadsgf(self, filename: str, move_number: int | None) -> None:
        """Load ``filename`` up to (not including) move ``move_number`` (1-based)."""
        try:
            if not os.path.isfile(filename):
                raise ValueError(f"{filename!r} is not a regular file")
            if os.path.getsize(filename) > MAX_SGF_BYTES:
                raise ValueError(f"{filename!r} is larger than {MAX_SGF_BYTES} bytes")
            game = sgf.load(filename)
            if not self.accept_size(game.size):
                raise ValueError(f"this engine cannot play on {game.size}x{game.size}")
            count = len(game.moves) if move_number is None else max(move_number - 1, 0)
            moves = [(game.colour_of(i), m) for i, m in enumerate(game.moves[:count])]
            setup = Setup(game.size, game.komi, game.black_stones, game.white_stones,
                          game.to_play)
            self.state.load(setup, moves)
        except (OSError, ValueError) as exc:
            self._log(f"loadsgf: {exc}")
            raise GtpError("cannot load file") from None
        self.on_change()

    def printsgf(self, filename: str | None) -> str | None:
        game = record(self.state, self.program)
        if filename is None:
            return sgf.to_string(game).rstrip("\n")
        if not filename.lower().endswith(".sgf") or os.path.isdir(filename):
            self._log(f"printsgf: refusing to write {filename!r} (not a .sgf file name)")
            raise GtpError("cannot save file")
        try:
            sgf.save(filename, game)
        except OSError as exc:
            self._log(f"printsgf: {exc}")
            raise GtpError("cannot save file") from None
        return None


def record(state: GameState, program: str = "zerogo") -> Game:
    """The SGF record of the game: the setup, then the moves, a pass written wherever a
    colour moved twice in a row (GTP allows that, SGF records do not)."""
    moves: list[int] = []
    expected = state.setup.to_play
    for colour, move in state.moves:
        if colour != expected:
            moves.append(state.size * state.size)
        moves.append(move)
        expected = -colour
    position = state.position
    handicap = len(state.setup.black) if (state.setup.black and not state.setup.white
                                          and state.setup.to_play == WHITE) else 0
    return Game(
        size=state.size, komi=state.komi, moves=moves, black_stones=state.setup.black,
        white_stones=state.setup.white, to_play=state.setup.to_play,
        result=position.result_string() if position.is_over() else None,
        black_player=None, white_player=None, handicap=handicap,
        comment=f"written by {program}",
    )


def board_diagram(state: GameState) -> str:
    """GNU Go's ``showboard`` picture: coordinates around the board, ``X`` black, ``O``
    white, ``.`` empty, captures beside the rows, the player to move below."""
    size = state.size
    letters = "   " + " ".join(coords.GTP_COLUMNS[:size])
    board = state.position.board
    by_black, by_white = state.captures()
    notes = {size // 2 - 1: f"WHITE (O) has captured {by_white} stones",
             size // 2: f"BLACK (X) has captured {by_black} stones"}
    lines = [letters]
    for r in range(size):
        number = size - r
        cells = " ".join({1: "X", -1: "O"}.get(int(v), ".") for v in board[r])
        line = f"{number:2d} {cells} {number}"
        if r in notes:
            line += "     " + notes[r]
        lines.append(line)
    lines.append(letters)
    to_move = "black" if state.to_play == BLACK else "white"
    lines.append(f"{to_move} to play, move {state.position.move_number}, "
                 f"komi {_number(state.komi)}")
    return "\n".join(lines)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
