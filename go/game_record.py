"""A game record: the rules, the setup stones, the moves and what is said about them.

``Game`` is what an SGF file holds (see ``go.sgf``), in the project's own terms: moves are
flat indices (pass = ``size * size``), colours +1 black / -1 white.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from go.errors import IllegalMove
from go.position import Position, check_size

DEFAULT_RULES = "Chinese"  # area scoring; the SGF name closest to the project's rules


@dataclass
class Game:
    """One game: board ``size``, ``komi``, setup stones, the player of the first move, moves.

    * ``black_stones`` / ``white_stones``: sorted flat indices of setup stones (SGF AB/AW,
      handicap stones);
    * ``to_play``: +1 if black plays the first move, -1 if white does (SGF PL);
    * ``moves``: flat indices, alternating colours from ``to_play``; pass = ``size * size``;
    * ``comments``: ``{move index (0-based into moves): text}``; ``comment`` is the game's
      own comment (SGF root ``C``);
    * ``result``: SGF ``RE`` text, e.g. ``"B+3.5"``, ``"W+R"``, ``"0"``; ``None`` if unknown;
    * ``rules`` (SGF ``RU``), ``handicap`` (``HA``), player names, ``date`` (``DT``).
    """

    size: int = 19
    komi: float = 7.5
    moves: list[int] = field(default_factory=list)
    black_stones: tuple[int, ...] = ()
    white_stones: tuple[int, ...] = ()
    to_play: int = 1
    result: str | None = None
    black_player: str | None = None
    white_player: str | None = None
    date: str | None = None
    rules: str | None = DEFAULT_RULES
    handicap: int = 0
    comment: str | None = None
    comments: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.size = check_size(self.size)
        self.komi = float(self.komi)
        if not math.isfinite(self.komi):
            raise ValueError(f"komi must be a finite number, got {self.komi}")
        if self.to_play not in (1, -1):
            raise ValueError(f"to_play must be 1 (black) or -1 (white), got {self.to_play!r}")
        limit = self.size * self.size
        self.moves = [int(m) for m in self.moves]
        for i, m in enumerate(self.moves):
            if not 0 <= m <= limit:
                raise ValueError(f"move {i + 1} is {m}, off a {self.size}x{self.size} board "
                                 f"(0..{limit}, pass = {limit})")
        self.black_stones = tuple(sorted(int(p) for p in self.black_stones))
        self.white_stones = tuple(sorted(int(p) for p in self.white_stones))
        for p in self.black_stones + self.white_stones:
            if not 0 <= p < limit:
                raise ValueError(f"setup stone {p} is off a {self.size}x{self.size} board")
        if self.handicap < 0:
            raise ValueError(f"handicap must be >= 0, got {self.handicap}")
        for i in self.comments:
            if not 0 <= i < len(self.moves):
                raise ValueError(f"comment for move index {i}, but the game has "
                                 f"{len(self.moves)} moves")

    # ------------------------------------------------------------------ building
    @classmethod
    def from_position(
        cls,
        position: Position,
        *,
        result: str | None = None,
        black_player: str | None = None,
        white_player: str | None = None,
        date: str | None = None,
        comments: Mapping[int, str] | None = None,
        rules: str | None = DEFAULT_RULES,
    ) -> Game:
        """The record of the game that led to ``position`` (its root's setup, its moves).

        ``result`` defaults to the area score (``"B+3.5"``) when the game is over, else None.
        """
        root = position.root()
        flat = root.flat_board
        if result is None and position.is_over():
            result = position.result_string()
        black = tuple(int(p) for p in (flat == 1).nonzero()[0])
        white = tuple(int(p) for p in (flat == -1).nonzero()[0])
        return cls(
            size=position.size, komi=position.komi, moves=position.moves(),
            black_stones=black, white_stones=white, to_play=root.to_play, result=result,
            black_player=black_player, white_player=white_player, date=date, rules=rules,
            comments=dict(comments or {}),
        )

    # ------------------------------------------------------------------ replay
    def root_position(self, max_moves: int | None = None) -> Position:
        """The position before the first move (setup stones placed, ``to_play`` to move)."""
        return Position.setup(self.size, self.komi, self.black_stones, self.white_stones,
                              self.to_play, max_moves=max_moves)

    def positions(self, max_moves: int | None = None) -> list[Position]:
        """Replay the game: ``[root, after move 1, ..., after the last move]``.

        Raises ``IllegalMove`` naming the move number when a move breaks the rules.
        """
        out = [self.root_position(max_moves)]
        for i, move in enumerate(self.moves):
            try:
                out.append(out[-1].play(move))
            except IllegalMove as exc:
                raise IllegalMove(move, f"{exc.reason} (move {i + 1} of the game record)",
                                  self.size) from exc
        return out

    def final_position(self, max_moves: int | None = None) -> Position:
        """The position after the last move."""
        return self.positions(max_moves)[-1]

    def colour_of(self, index: int) -> int:
        """+1/-1: the colour that plays ``moves[index]``."""
        return self.to_play if index % 2 == 0 else -self.to_play
