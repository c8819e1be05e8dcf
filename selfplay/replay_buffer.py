"""The replay buffer: the positions of the most recent games, sampled uniformly.

AlphaGo Zero trains on positions drawn uniformly from a window of recent self-play games.
This buffer keeps the newest games whose positions add up to at least ``window``
positions (the smallest such suffix of the run's games: a game is dropped only when the
games after it already hold ``window`` positions). The window may grow with the run
(``selfplay.replay_window``): it is recomputed from the run's total positions as each game
arrives, before the oldest games are dropped, so the buffer grows with it. Each position
costs its packed board (2 bits per point), a bitmap of the moves its search visited (one
bit per move), a 16-bit share for each visited move, an offset, and a byte each for the
player to move, the result and whether the position is a policy target (playout cap
randomization): at most 91 + 46 + 724 + 7 = 868 bytes on 19x19 even when
the search visited every move, typically far less; see ``bytes_per_position``.

A sampled position comes back with the ``history_length`` boards that AlphaGo Zero's
features need (most recent first, zeros before the game start), the player to move, the
visit distribution and the game result **from the point of view of the player to move**,
all transformed by one random dihedral symmetry per position. This is the only place the
pipeline applies symmetries: the learner's ``Trainer`` is built with augmentation off, so
a position reaches the optimiser transformed exactly once.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from selfplay import packed_boards
from selfplay.game_record import GameRecord, GameRecordError
from selfplay.replay_window import ReplayWindow


class TrainingBatch(NamedTuple):
    """A batch for ``network.Trainer.train_step``.

    boards: int8[B, H, N, N] (index 0 the current board); to_play: int8[B];
    policy: float32[B, N*N+1] visit distributions; value: float32[B] in {-1, 0, 1},
    the game result for the player to move; ownership: float32[B, N, N], the game's final
    Tromp-Taylor ownership for the player to move (+1 its, -1 the opponent's, 0 neutral;
    NaN when the game has none: resigned); score: float32[B], the final score for the
    player to move (points, komi included; NaN when resigned). The auxiliary heads'
    targets; ``None`` in batches built without them. policy_mask: bool[B], True where
    ``policy`` is a policy target (a full search under playout cap randomization);
    ``None``: all.
    """

    boards: np.ndarray
    to_play: np.ndarray
    policy: np.ndarray
    value: np.ndarray
    ownership: np.ndarray | None = None
    score: np.ndarray | None = None
    policy_mask: np.ndarray | None = None


@dataclass
class _StoredGame:
    game_id: int
    boards: np.ndarray  # uint8[T, packed]: the board before each move
    to_play: np.ndarray  # int8[T]
    values: np.ndarray  # int8[T], result for the player to move
    offsets: np.ndarray  # int32[T+1] into policy_probs
    policy_mask: np.ndarray  # uint8[T, ceil((N*N+1)/8)]: bit m set if move m was visited
    policy_probs: np.ndarray  # uint16[K]: the visited moves' shares, in move order
    policy_recorded: np.ndarray  # bool[T]: the position's policy is a training target
    ownership: np.ndarray  # int8[N*N] final owner in absolute colours, or int8[0]: unknown
    score: float  # black area - white area - komi at the end; NaN when resigned
    digest: bytes = field(init=False)  # SHA-256 of the fields above but score

    def __post_init__(self) -> None:
        self.digest = _game_digest(self)

    @property
    def positions(self) -> int:
        return len(self.values)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.boards, self.to_play, self.values, self.offsets,
                                      self.policy_mask, self.policy_probs, self.ownership,
                                      self.policy_recorded))


def _game_digest(g: _StoredGame) -> bytes:
    """SHA-256 of one stored game: its id, boards and targets (a game without fast searches
    leaves its all-true policy_recorded out, as buffers before playout cap randomization)."""
    h = hashlib.sha256()
    h.update(np.int64(g.game_id).tobytes())
    for a in (g.boards, g.to_play, g.values, g.offsets, g.policy_mask, g.policy_probs,
              g.ownership):
        h.update(np.ascontiguousarray(a).tobytes())
    if not g.policy_recorded.all():
        h.update(g.policy_recorded.tobytes())
    return h.digest()


class ReplayBuffer:
    """Positions of the newest games, at least ``window`` of them (see the module docstring).

    ``window``: a fixed size in positions, or a ``ReplayWindow`` whose size follows the
    run's total positions; ``total_positions``: positions the run generated before the
    first game added here (``rebuild`` sets it), so the window starts at the right size.
    ``add(record)`` replays the game's moves to rebuild its boards (refusing illegal ones);
    ``sample(batch_size)`` draws positions uniformly with replacement.
    """

    def __init__(self, board_size: int, history_length: int, window: int | ReplayWindow,
                 seed: int | None = None, total_positions: int = 0) -> None:
        if not isinstance(window, ReplayWindow):
            if window < 1:
                raise ValueError(f"replay window must be at least 1 position, got {window}")
            window = ReplayWindow.fixed(window)
        if history_length < 1:
            raise ValueError(f"history length must be at least 1, got {history_length}")
        if total_positions < 0:
            raise ValueError(f"total positions must be >= 0, got {total_positions}")
        self.board_size = board_size
        self.history_length = history_length
        self.rule = window
        self.total_positions = total_positions
        self.window = window.size(total_positions)
        self._rng = np.random.default_rng(seed)
        # Held-out samples have their own stream: drawing them leaves training samples as
        # they were.
        self._heldout_rng = np.random.default_rng(
            None if seed is None else [seed, 0x4E1D])
        self._games: deque[_StoredGame] = deque()
        self._positions = 0
        self._cumulative: np.ndarray | None = None

    # ------------------------------------------------------------------ filling
    def add(self, record: GameRecord, where: str | None = None) -> None:
        """Add a finished game and drop the oldest games the window no longer needs.

        The moves are replayed: an illegal one raises ``GameRecordError`` naming ``where``
        (default ``game <id>``) and the move, and the buffer is left unchanged."""
        if record.board_size != self.board_size:
            raise ValueError(f"game {record.game_id} is {record.board_size}x"
                             f"{record.board_size}, the buffer holds {self.board_size}x"
                             f"{self.board_size} games")
        where = where or f"game {record.game_id}"
        try:
            boards = packed_boards.replay_boards(record.board_size, record.moves, where)
        except ValueError as exc:
            raise GameRecordError(str(exc)) from None
        t = record.num_positions
        dense = np.zeros((t, self.board_size * self.board_size + 1), np.uint16)
        rows = np.repeat(np.arange(t), np.diff(record.policy_offsets))
        dense[rows, record.policy_moves] = record.policy_probs
        visited = dense > 0
        offsets = np.zeros(t + 1, np.int32)
        np.cumsum(visited.sum(axis=1), out=offsets[1:])
        self._games.append(_StoredGame(
            game_id=record.game_id,
            boards=packed_boards.pack(boards),
            to_play=record.to_play(),
            values=record.value_targets(),
            offsets=offsets,
            policy_mask=np.packbits(visited, axis=1),
            policy_probs=dense[visited],
            policy_recorded=record.policy_target_mask().copy(),
            ownership=np.asarray(record.ownership, np.int8),
            score=float(record.score),
        ))
        self._positions += record.num_positions
        self.total_positions += record.num_positions
        self.window = self.rule.size(self.total_positions)
        while self._games and self._positions - self._games[0].positions >= self.window:
            self._positions -= self._games.popleft().positions
        self._cumulative = None

    @classmethod
    def rebuild(cls, newest_first: Iterable[GameRecord], board_size: int, history_length: int,
                window: int | ReplayWindow, seed: int | None = None,
                where: Callable[[GameRecord], str] | None = None,
                total_positions: int | None = None) -> ReplayBuffer:
        """The buffer a run would hold after its games, given newest first.

        ``where(record)`` names a game in the ``GameRecordError`` of an illegal move.
        ``total_positions``: positions of all the run's games (those ``newest_first``
        would yield); it sets the size of a growing window (``None``: the window's floor,
        right for a fixed window).

        Reads games only until the window is full, then adds them oldest first, so the
        result equals the buffer that saw every game in order (for a growing window too:
        see ``selfplay.replay_window``).
        """
        rule = window if isinstance(window, ReplayWindow) else ReplayWindow.fixed(window)
        if total_positions is None and rule.grows:
            raise ValueError("rebuilding a buffer with a growing window needs the run's "
                             "total_positions")
        size = rule.size(total_positions or 0)
        kept: list[GameRecord] = []
        total = 0
        for record in newest_first:
            kept.append(record)
            total += record.num_positions
            if total >= size:
                break
        before = 0 if total_positions is None else total_positions - total
        if before < 0:
            raise ValueError(f"total_positions ({total_positions}) is less than the "
                             f"positions of the games read ({total})")
        buffer = cls(board_size, history_length, rule, seed=seed, total_positions=before)
        for record in reversed(kept):
            buffer.add(record, None if where is None else where(record))
        return buffer

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        """Positions held."""
        return self._positions

    @property
    def num_games(self) -> int:
        return len(self._games)

    def game_ids(self) -> list[int]:
        """Ids of the games held, oldest first."""
        return [g.game_id for g in self._games]

    @property
    def fill(self) -> float:
        """Positions held over the window (can exceed 1 by less than one game)."""
        return self._positions / self.window

    @property
    def nbytes(self) -> int:
        """Bytes of array data held."""
        return sum(g.nbytes for g in self._games)

    def bytes_per_position(self) -> float:
        return self.nbytes / max(self._positions, 1)

    def digest(self) -> str:
        """SHA-256 over the window and each held game's digest (game id, boards, targets;
        hashed once, when the game is added), to compare buffers. Its cost grows with the
        number of games (32 bytes each), not with their positions: the driver writes it
        with every state write."""
        h = hashlib.sha256()
        h.update(np.int64(self.window).tobytes())
        for g in self._games:
            h.update(g.digest)
        return h.hexdigest()

    # ------------------------------------------------------------------ sampling
    def sample(self, batch_size: int, symmetries: bool = True) -> TrainingBatch:
        """``batch_size`` positions drawn uniformly (with replacement) from the buffer.

        With ``symmetries`` each position gets one of the 8 dihedral transformations,
        chosen at random, applied alike to its boards and its visit distribution.
        """
        if self._positions == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        if self._cumulative is None:
            self._cumulative = np.cumsum([g.positions for g in self._games])
        picks = self._rng.integers(self._positions, size=batch_size)
        boards, to_play, policy, value, ownership, score = self._gather(
            picks, self._cumulative, 0)
        if symmetries:
            # network.symmetry is numpy-only: importing it loads no TensorFlow.
            from network import symmetry

            ks = self._rng.integers(symmetry.NUM_SYMMETRIES, size=batch_size)
            boards = symmetry.transform_boards_each(boards, ks)
            policy = symmetry.transform_policy_each(policy, ks, self.board_size)
            ownership = symmetry.transform_boards_each(ownership, ks)
        return TrainingBatch(boards, to_play, policy, value, ownership, score,
                             self._policy_mask(picks, self._cumulative, 0))

    def sample_newest(self, batch_size: int, first_game_id: int) -> TrainingBatch | None:
        """``batch_size`` positions drawn uniformly (with replacement, no symmetries) from
        the held games with id ``>= first_game_id``; ``None`` when there are none.

        The driver passes the first game added after its previous training call was
        sampled: no batch of that call or an earlier one can hold these positions, so the
        learner's loss on them, computed before its next call trains, is a held-out loss.
        Drawn from a stream of their own (training samples are unchanged by these).
        """
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        ids = np.fromiter((g.game_id for g in self._games), np.int64, len(self._games))
        start = int(np.searchsorted(ids, first_game_id, side="left"))
        if start == len(self._games):
            return None
        cumulative = np.cumsum([self._games[i].positions
                                for i in range(start, len(self._games))])
        picks = self._heldout_rng.integers(int(cumulative[-1]), size=batch_size)
        return TrainingBatch(*self._gather(picks, cumulative, start),
                             self._policy_mask(picks, cumulative, start))

    def _policy_mask(self, picks: np.ndarray, cumulative: np.ndarray, first_game: int
                     ) -> np.ndarray:
        """bool[B]: whether each picked position (counted as in ``_gather``) is a policy
        target."""
        game_index = np.searchsorted(cumulative, picks, side="right")
        out = np.empty(len(picks), np.bool_)
        for i, (gi, pick) in enumerate(zip(game_index, picks, strict=True)):
            g = self._games[first_game + gi]
            out[i] = g.policy_recorded[int(pick - (cumulative[gi] - g.positions))]
        return out

    def _gather(self, picks: np.ndarray, cumulative: np.ndarray, first_game: int
                ) -> tuple[np.ndarray, ...]:
        """Boards, to_play, policy, value, ownership and score of positions ``picks``
        counted over the games ``first_game, first_game + 1, ...`` (deque indices), whose
        cumulative position counts are ``cumulative``."""
        batch_size = len(picks)
        n, hist = self.board_size, self.history_length
        points = n * n
        game_index = np.searchsorted(cumulative, picks, side="right")
        boards = np.zeros((batch_size, hist, points), np.int8)
        to_play = np.empty(batch_size, np.int8)
        policy = np.zeros((batch_size, points + 1), np.float32)
        value = np.empty(batch_size, np.float32)
        ownership = np.full((batch_size, points), np.nan, np.float32)
        score = np.empty(batch_size, np.float32)
        for i, (gi, pick) in enumerate(zip(game_index, picks, strict=True)):
            g = self._games[first_game + gi]
            t = int(pick - (cumulative[gi] - g.positions))
            first = max(0, t - hist + 1)
            boards[i, : t - first + 1] = packed_boards.unpack(g.boards[first:t + 1][::-1],
                                                              points)
            to_play[i] = g.to_play[t]
            value[i] = g.values[t]
            score[i] = g.to_play[t] * g.score
            if len(g.ownership):
                ownership[i] = g.to_play[t] * g.ownership
            a, b = g.offsets[t], g.offsets[t + 1]
            visited = np.flatnonzero(np.unpackbits(g.policy_mask[t], count=points + 1))
            policy[i, visited] = g.policy_probs[a:b]
        policy /= policy.sum(axis=1, keepdims=True)
        return (boards.reshape(batch_size, hist, n, n), to_play, policy, value,
                ownership.reshape(batch_size, n, n), score)
