"""The game a GTP engine holds: setup stones, the moves sent to it, and undo.

GTP lets a controller do things our immutable ``go.Position`` does not do directly; this
module maps them onto positions:

* ``play`` of the colour that is *not* to move (a GUI placing two stones of one colour)
  inserts a pass for the side to move first, so one GTP move may be two positions; ``undo``
  takes back the whole GTP move;
* a move after the game ended (two passes) continues from a fresh root holding the same
  stones and the same player to move (positional superko history restarts there);
* ``komi`` mid-game replays the game under the new komi.

Every method either succeeds or leaves the state exactly as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from go import IllegalMove, Position, kernels
from gtp.protocol import shown

BLACK = 1
WHITE = -1
MAX_KOMI = 150.0  # |komi| above this is refused (a 19x19 board has 361 points)


def check_komi(komi: float) -> float:
    """``komi`` (points given to white) if the engine accepts it, as a float with ``-0``
    made ``0.0``; raises ``ValueError`` naming the value otherwise.

    Accepted: finite whole or half numbers (``7``, ``7.5``, ``-0.5``) with
    ``|komi| <= MAX_KOMI``, so an area score (at most 361 points on 19x19) plus komi always
    prints as a short, exact number. Refused: NaN, infinities, ``1e308``, ``0.3``.
    """
    try:
        value = float(komi)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"komi must be a number, got {komi!r}") from None
    if not math.isfinite(value) or abs(value) > MAX_KOMI:
        raise ValueError(f"komi must be between {-MAX_KOMI:g} and {MAX_KOMI:g}, got {value!r}")
    if not (2 * value).is_integer():
        raise ValueError(f"komi must be a whole or half number, got {value!r}")
    return value + 0.0


@dataclass(frozen=True)
class Setup:
    """The start of a game: size, komi, setup stones (flat indices), player to move.

    ``komi`` must pass ``check_komi`` (``ValueError`` otherwise; ``-0`` is stored as 0.0).
    """

    size: int = 19
    komi: float = 7.5
    black: tuple[int, ...] = ()
    white: tuple[int, ...] = ()
    to_play: int = BLACK

    def __post_init__(self) -> None:
        object.__setattr__(self, "komi", check_komi(self.komi))

    def root(self) -> Position:
        """The root position of this setup (no move limit)."""
        return Position.setup(self.size, self.komi, self.black, self.white, self.to_play)


@dataclass
class GameState:
    """A game under GTP control. ``position`` is the current position.

    ``moves`` holds the GTP-level moves ``(colour, flat move)`` in order; ``positions[i]`` is
    the position after ``moves[:i]`` (``positions[0]`` is the root).
    """

    setup: Setup = field(default_factory=Setup)
    moves: list[tuple[int, int]] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.positions:
            self.positions = self._replay(self.setup, self.moves)

    # ------------------------------------------------------------------ queries
    @property
    def size(self) -> int:
        """Board size N."""
        return self.setup.size

    @property
    def komi(self) -> float:
        """Komi (points given to white)."""
        return self.setup.komi

    @property
    def position(self) -> Position:
        """The current position."""
        return self.positions[-1]

    @property
    def to_play(self) -> int:
        """+1 black / -1 white to move."""
        return self.position.to_play

    def is_empty(self) -> bool:
        """No stone on the board and no move played (handicap may still be placed)."""
        return not self.moves and not np.any(self.position.flat_board)

    def captures(self) -> tuple[int, int]:
        """``(stones captured by black, stones captured by white)`` in the moves played."""
        by_black = by_white = 0
        for (colour, move), before, after in zip(
                self.moves, self.positions[:-1], self.positions[1:], strict=True):
            if move == self.size * self.size:
                continue
            opponent = -colour
            taken = int(np.sum(before.flat_board == opponent)) - int(
                np.sum(after.flat_board == opponent))
            if colour == BLACK:
                by_black += taken
            else:
                by_white += taken
        return by_black, by_white

    def chains(self, colour: int | None = None) -> list[list[int]]:
        """The chains on the board as lists of flat points (of ``colour``, or all)."""
        flat = self.position.flat_board
        group_of, _, _ = kernels.label_groups(
            flat, kernels.neighbour_table(self.size), kernels.zobrist_table(self.size))
        chains: dict[int, list[int]] = {}
        for point in range(self.size * self.size):
            if group_of[point] >= 0 and (colour is None or flat[point] == colour):
                chains.setdefault(int(group_of[point]), []).append(point)
        return list(chains.values())

    # ------------------------------------------------------------------ changes
    def clear(self, size: int | None = None) -> None:
        """Empty board of ``size`` (default: the current one), same komi, black to move."""
        setup = Setup(self.size if size is None else size, self.komi)
        root = setup.root()  # validates the size before anything changes
        self.setup, self.moves, self.positions = setup, [], [root]

    def set_komi(self, komi: float) -> None:
        """Change komi, keeping the game (it is replayed under the new komi); raises
        ``ValueError`` and changes nothing when ``check_komi`` refuses it."""
        setup = Setup(self.size, float(komi), self.setup.black, self.setup.white,
                      self.setup.to_play)
        positions = self._replay(setup, self.moves)
        self.setup, self.positions = setup, positions

    def play(self, colour: int, move: int) -> Position:
        """Play ``move`` (flat index, pass = N*N) for ``colour``; raises ``IllegalMove``
        and changes nothing when the rules refuse it."""
        if colour not in (BLACK, WHITE):
            raise ValueError(f"colour must be 1 (black) or -1 (white), got {colour!r}")
        after = self._apply(self.position, colour, move)
        self.moves.append((colour, int(move)))
        self.positions.append(after)
        return after

    def undo(self) -> bool:
        """Take back the last GTP move; False when there is none."""
        if not self.moves:
            return False
        self.moves.pop()
        self.positions.pop()
        return True

    def place_setup(
        self, black: tuple[int, ...], white: tuple[int, ...] = (), to_play: int = WHITE
    ) -> None:
        """Start over from setup stones (handicap), keeping size and komi."""
        setup = Setup(self.size, self.komi, tuple(black), tuple(white), to_play)
        root = setup.root()
        self.setup, self.moves, self.positions = setup, [], [root]

    def load(self, setup: Setup, moves: list[tuple[int, int]]) -> None:
        """Replace the game by ``setup`` and ``moves`` (raises, changing nothing, when a
        move is illegal or the setup is invalid)."""
        positions = self._replay(setup, moves)
        self.setup, self.moves, self.positions = setup, list(moves), positions

    # ------------------------------------------------------------------ internals
    @classmethod
    def _replay(cls, setup: Setup, moves: list[tuple[int, int]]) -> list[Position]:
        positions = [setup.root()]
        for colour, move in moves:
            positions.append(cls._apply(positions[-1], colour, move))
        return positions

    def position_for(self, colour: int) -> Position:
        """The position in which ``colour`` moves next: the current one, or (when the
        other colour is to move, or the game has ended) the one ``play`` would move from."""
        return _position_for(self.position, colour)

    @staticmethod
    def _apply(position: Position, colour: int, move: int) -> Position:
        n = position.size * position.size
        if isinstance(move, bool) or not isinstance(move, (int, np.integer)) or not (
                0 <= move <= n):
            raise IllegalMove(move, f"out of range 0..{n}", position.size)
        return _position_for(position, colour).play(int(move))


def _position_for(position: Position, colour: int) -> Position:
    if colour not in (BLACK, WHITE):
        raise ValueError(f"colour must be 1 (black) or -1 (white), got {colour!r}")
    if position.is_over():
        position = _continuation(position, position.to_play)
    if colour != position.to_play:
        if position.passes >= 1:
            # a pass here would end the game: continue from a fresh root instead
            return _continuation(position, colour)
        return position.play(position.size * position.size)
    return position


def _continuation(position: Position, to_play: int) -> Position:
    """A root with ``position``'s stones and ``to_play`` to move."""
    flat = position.flat_board
    black = tuple(int(p) for p in np.flatnonzero(flat == BLACK))
    white = tuple(int(p) for p in np.flatnonzero(flat == WHITE))
    return Position.setup(position.size, position.komi, black, white, to_play)


def colour_name(colour: int) -> str:
    """``"black"`` / ``"white"``."""
    return "black" if colour == BLACK else "white"


def parse_colour(text: str) -> int:
    """GTP colour (``b``, ``black``, ``w``, ``white``; any case) -> +1 / -1."""
    lowered = text.lower()
    if lowered in ("b", "black"):
        return BLACK
    if lowered in ("w", "white"):
        return WHITE
    raise ValueError(f"not a colour: {shown(text)} (expected b, black, w or white)")
