"""An immutable Go position: board, player to move, superko history, game end, score.

Conventions used everywhere in the project:

* colours: ``+1`` black, ``-1`` white, ``0`` empty;
* ``board`` is ``int8[N, N]`` with row 0 the top row (GTP row ``N``);
* a move is the flat index ``row * N + col``; pass is ``N * N``;
* ``score()`` is ``black_area - white_area - komi`` (positive: black wins), Tromp-Taylor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from go import kernels
from go.coords import MAX_SIZE, MIN_SIZE, check_size
from go.errors import IllegalMove

__all__ = ["MAX_SIZE", "MIN_SIZE", "Position", "RulesConfig", "check_size"]

MAX_KOMI = 1000.0
"""Largest komi (either sign) a ``RulesConfig`` takes: far beyond any board's area."""
MAX_MOVES_PER_POINT = 10
"""A move limit above ``MAX_MOVES_PER_POINT * N * N`` is refused (2 N^2 is the default)."""


@dataclass(frozen=True)
class RulesConfig:
    """The rules of a game: board size, komi, and an optional move limit.

    ``max_moves`` (passes included) ends and scores the game when reached; ``None``
    means no limit. Rules are fixed otherwise: area scoring, suicide illegal,
    positional superko, two consecutive passes end the game.
    """

    size: int = 9
    komi: float = 7.5
    max_moves: int | None = None

    def __post_init__(self) -> None:
        check_size(self.size)
        if self.max_moves is not None:
            limit = MAX_MOVES_PER_POINT * self.size * self.size
            if isinstance(self.max_moves, bool) or not isinstance(self.max_moves, int):
                raise ValueError(f"max_moves must be an integer or None, got {self.max_moves!r}")
            if self.max_moves < 1:
                raise ValueError(f"max_moves must be at least 1 or None, got {self.max_moves}")
            if self.max_moves > limit:
                raise ValueError(f"max_moves must be at most {limit} ({MAX_MOVES_PER_POINT} "
                                 f"per point) on {self.size}x{self.size}, got {self.max_moves}")
        if (isinstance(self.komi, bool) or not isinstance(self.komi, (int, float, np.floating))
                or not abs(self.komi) <= MAX_KOMI):
            raise ValueError(f"komi must be a finite number in [-{MAX_KOMI:g}, {MAX_KOMI:g}], "
                             f"got {self.komi!r}")


class Position:
    """One position of a game. ``play`` returns a new position; this one stays usable.

    Attributes: ``size``, ``komi``, ``to_play`` (+1/-1), ``passes`` (consecutive passes
    just played), ``move_number`` (moves played since the root, passes included),
    ``max_moves``, ``last_move`` (flat index, pass = N*N, ``None`` at the root),
    ``parent`` (the previous position or ``None``).
    """

    __slots__ = (
        "size", "komi", "to_play", "passes", "move_number", "max_moves", "last_move",
        "parent", "_flat", "_hash", "_history", "_n_hashes", "_legal", "_nbrs", "_zobrist",
    )

    def __init__(self) -> None:  # use Position.new / Position.setup
        self._legal: np.ndarray | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def new(cls, size: int = 9, komi: float = 7.5, max_moves: int | None = None) -> Position:
        """The empty board of ``size`` with black to play."""
        return cls.setup(size, komi, max_moves=max_moves)

    @classmethod
    def from_rules(cls, rules: RulesConfig) -> Position:
        """The empty board described by a ``RulesConfig``."""
        return cls.setup(rules.size, rules.komi, max_moves=rules.max_moves)

    @classmethod
    def setup(
        cls,
        size: int,
        komi: float = 7.5,
        black: Iterable[int] = (),
        white: Iterable[int] = (),
        to_play: int = 1,
        max_moves: int | None = None,
    ) -> Position:
        """A root position with setup stones (handicap, SGF AB/AW) and ``to_play`` to move.

        Setup stones are placed as given, without captures; a setup that leaves a chain
        without liberties is refused.
        """
        RulesConfig(size, float(komi), max_moves)
        if to_play not in (1, -1):
            raise ValueError(f"to_play must be 1 (black) or -1 (white), got {to_play!r}")
        flat = np.zeros(size * size, np.int8)
        for colour, points in ((1, black), (-1, white)):
            for p in points:
                if not isinstance(p, (int, np.integer)) or not 0 <= p < size * size:
                    raise ValueError(f"setup point {p!r} is off a {size}x{size} board")
                if flat[p] != 0:
                    raise ValueError(f"setup point {p} is given twice")
                flat[p] = colour
        if np.any(flat) and _has_dead_chain(flat, size):
            raise ValueError("setup stones leave a chain without liberties")
        pos = cls()
        pos.size = size
        pos.komi = float(komi)
        pos.to_play = int(to_play)
        pos.passes = 0
        pos.move_number = 0
        pos.max_moves = max_moves
        pos.last_move = None
        pos.parent = None
        flat.setflags(write=False)
        pos._flat = flat
        pos._nbrs = kernels.neighbour_table(size)
        pos._zobrist = kernels.zobrist_table(size)
        pos._hash = np.uint64(kernels.board_hash(flat, pos._zobrist))
        pos._history = _HashHistory(pos._hash)
        pos._n_hashes = 1
        return pos

    # ------------------------------------------------------------------ queries
    @property
    def board(self) -> np.ndarray:
        """int8[N, N], read-only: +1 black, -1 white, 0 empty; row 0 is the top row."""
        return self._flat.reshape(self.size, self.size)

    @property
    def flat_board(self) -> np.ndarray:
        """int8[N*N], read-only: the board indexed by flat move index."""
        return self._flat

    @property
    def pass_move(self) -> int:
        """The flat index of pass, ``N * N``."""
        return self.size * self.size

    @property
    def zobrist_hash(self) -> int:
        """The Zobrist hash of the stones (positional superko compares these)."""
        return int(self._hash)

    @property
    def board_hashes(self) -> np.ndarray:
        """uint64[T]: hashes of every board since the root, this one last (read-only).

        Passes add no entry (the board is unchanged), so T <= move_number + 1."""
        view = self._history.array[:self._n_hashes]
        view.flags.writeable = False
        return view

    def is_over(self) -> bool:
        """True after two consecutive passes or when the move limit is reached."""
        return self.passes >= 2 or (
            self.max_moves is not None and self.move_number >= self.max_moves)

    def legal_moves(self) -> np.ndarray:
        """bool[N*N + 1] for the player to move, pass last; all False once the game is over."""
        if self._legal is None:
            n = self.size * self.size
            out = np.zeros(n + 1, np.bool_)
            if self.passes < 2 and (self.max_moves is None
                                    or self.move_number < self.max_moves):
                kernels.legal_mask(self._flat, self.to_play, self._hash, self._history.array,
                                   self._n_hashes, self._nbrs, self._zobrist, out)
            out.flags.writeable = False
            self._legal = out
        return self._legal

    def is_legal(self, move: int) -> bool:
        """Whether ``move`` (flat index or pass) is legal for the player to move."""
        if not isinstance(move, (int, np.integer)) or not 0 <= move <= self.pass_move:
            return False
        return bool(self.legal_moves()[move])

    # ------------------------------------------------------------------ moves
    def play(self, move: int) -> Position:
        """The position after the player to move plays ``move``.

        Raises ``IllegalMove`` naming the move and the reason (out of range, occupied,
        suicide, superko, game over).
        """
        n = self.size * self.size
        if type(move) is not int:
            if isinstance(move, bool) or not isinstance(move, (int, np.integer)):
                raise IllegalMove(move, "not a move index", self.size)
            move = int(move)
        if not 0 <= move <= n:
            raise IllegalMove(move, f"out of range 0..{n}", self.size)
        if self.passes >= 2 or (self.max_moves is not None
                                and self.move_number >= self.max_moves):
            raise IllegalMove(move, "game over", self.size)
        child = _bare(Position)
        child.size = self.size
        child.komi = self.komi
        child.to_play = -self.to_play
        child.move_number = self.move_number + 1
        child.max_moves = self.max_moves
        child.last_move = move
        child.parent = self
        child._nbrs = self._nbrs
        child._zobrist = self._zobrist
        child._legal = None
        if move == n:
            child.passes = self.passes + 1
            child._flat = self._flat
            child._hash = self._hash
            child._history = self._history
            child._n_hashes = self._n_hashes
            return child
        flat = self._flat.copy()
        status, h, _ = kernels.play_inplace(
            flat, self.to_play, move, self._hash, self._history.array, self._n_hashes,
            self._nbrs, self._zobrist)
        if status != kernels.OK:
            raise IllegalMove(move, _REASONS[status], self.size)
        flat.flags.writeable = False
        child.passes = 0
        child._flat = flat
        child._hash = h = np.uint64(h)
        child._history = self._history.append(self._n_hashes, h)
        child._n_hashes = self._n_hashes + 1
        return child

    # ------------------------------------------------------------------ history
    def recent_boards(self, k: int) -> np.ndarray:
        """int8[k, N, N]: this board and the k-1 before it, most recent first; boards
        before the root are all zeros (AlphaGo Zero's feature history)."""
        out = np.zeros((k, self.size, self.size), np.int8)
        pos: Position | None = self
        for i in range(k):
            if pos is None:
                break
            out[i] = pos.board
            pos = pos.parent
        return out

    def moves(self) -> list[int]:
        """The moves played from the root to this position, in order."""
        out = []
        pos: Position | None = self
        while pos is not None and pos.last_move is not None:
            out.append(pos.last_move)
            pos = pos.parent
        out.reverse()
        return out

    def root(self) -> Position:
        """The first position of this game (with its setup stones)."""
        pos = self
        while pos.parent is not None:
            pos = pos.parent
        return pos

    def __reduce__(self) -> tuple:
        """Pickle (and deepcopy) as the root set-up plus the moves, replayed on load: a
        long game's chain of parents would otherwise exceed Python's recursion limit."""
        root = self.root()
        flat = root.flat_board
        return (_replay, (self.size, self.komi, self.max_moves,
                          tuple(int(p) for p in np.flatnonzero(flat == 1)),
                          tuple(int(p) for p in np.flatnonzero(flat == -1)),
                          root.to_play, tuple(self.moves())))

    # ------------------------------------------------------------------ scoring
    def area(self) -> int:
        """``black_area - white_area`` under Tromp-Taylor rules (no komi)."""
        return int(kernels.area_score(self._flat, self._nbrs))

    def ownership(self) -> np.ndarray:
        """``int8[N, N]``: the Tromp-Taylor owner of each point, +1 black, -1 white, 0
        neutral (every stone alive, as the score counts it)."""
        return kernels.area_owner(self._flat, self._nbrs).reshape(self.size, self.size)

    def score(self) -> float:
        """``black_area - white_area - komi``: positive means black is ahead."""
        return self.area() - self.komi

    def winner(self) -> int:
        """+1 if black wins on the area score, -1 if white, 0 for a draw (integer komi)."""
        s = self.score()
        return int(np.sign(s))

    def result_string(self) -> str:
        """The SGF ``RE`` of the area score: ``"B+3.5"``, ``"W+0.5"`` or ``"0"`` (draw)."""
        s = self.score()
        if s == 0:
            return "0"
        return f"{'B' if s > 0 else 'W'}+{_number(abs(s))}"

    def __repr__(self) -> str:
        return (f"Position(size={self.size}, to_play={self.to_play}, "
                f"move={self.move_number})\n{self}")

    def __str__(self) -> str:
        chars = {1: "X", -1: "O", 0: "."}
        return "\n".join(" ".join(chars[int(v)] for v in row) for row in self.board)


class _HashHistory:
    """A growing uint64 buffer of board hashes shared along a line of play.

    A position owns the first ``n`` entries; entries are only ever written at index
    ``length``, so what a position owns never changes. A position at the tip appends in
    place; one whose line has moved on (a branch) copies its ``n`` entries first.
    """

    __slots__ = ("array", "length")

    def __init__(self, first: np.uint64, capacity: int = 64) -> None:
        self.array = np.empty(capacity, np.uint64)
        self.array[0] = first
        self.length = 1

    def append(self, n: int, h: np.uint64) -> _HashHistory:
        """The history of a position owning ``n`` entries, extended by ``h``."""
        if n == self.length and n < self.array.shape[0]:
            self.array[n] = h
            self.length = n + 1
            return self
        grown = _HashHistory.__new__(_HashHistory)
        grown.array = np.empty(max(64, 2 * n), np.uint64)
        grown.array[:n] = self.array[:n]
        grown.array[n] = h
        grown.length = n + 1
        return grown


def _replay(size: int, komi: float, max_moves: int | None, black: tuple[int, ...],
            white: tuple[int, ...], to_play: int, moves: tuple[int, ...]) -> Position:
    position = Position.setup(size, komi, black, white, to_play, max_moves=max_moves)
    for move in moves:
        position = position.play(move)
    return position


_bare = object.__new__  # a Position without running __init__: play() sets every slot


_REASONS = {kernels.OCCUPIED: "occupied", kernels.SUICIDE: "suicide", kernels.SUPERKO: "superko"}


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _has_dead_chain(flat: np.ndarray, size: int) -> bool:
    group_of, liberties, _ = kernels.label_groups(
        flat, kernels.neighbour_table(size), kernels.zobrist_table(size))
    groups = np.unique(group_of[group_of >= 0])
    return bool(np.any(liberties[groups] == 0))
