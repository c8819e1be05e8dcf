"""One finished self-play game, as workers return it and as the run directory stores it.

A game is kept compact: the moves, the search's visit distribution at every position
(sparse, quantised to 16 bits), the result, the final Tromp-Taylor ownership of a scored
game (one byte per point, the auxiliary heads' target), and the resignation bookkeeping. Boards are
not stored: they are rebuilt by replaying the moves (which also checks them).

Self-play games start from the empty board with black to move, so the player to move at
position ``t`` is black for even ``t`` and white for odd ``t``.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field

import numpy as np

from go.errors import ZerogoError

QUANT = 65535  # policy probabilities are stored as round(p * QUANT) in uint16

# npz keys -> (dtype, number of dimensions)
_ARRAYS = {
    "moves": (np.int16, 1),
    "policy_offsets": (np.int32, 1),
    "policy_moves": (np.int16, 1),
    "policy_probs": (np.uint16, 1),
}
_SCALARS = {
    "board_size": np.int64,
    "komi": np.float64,
    "winner": np.int64,
    "score": np.float64,
    "resigned": np.int64,
    "no_resign": np.bool_,
    "would_resign": np.int64,
    "would_resign_move": np.int64,
    "game_id": np.int64,
    "worker": np.int64,
    "best_version": np.int64,
    "session": np.int64,
    "serial": np.int64,
    "min_value_black": np.float64,
    "min_value_white": np.float64,
}
# arrays that game files written before they existed lack (read back empty)
_OPTIONAL_ARRAYS = {"ownership": (np.int8, 1)}
# scalars that game files written before they existed lack (read back as their default)
_OPTIONAL_SCALARS = {"min_value_black": math.nan, "min_value_white": math.nan}
_NAN_OK = {"score", "min_value_black", "min_value_white"}
# the per-position flag of playout cap randomization; files written before it existed
# lack it (every position was a policy target)
_POLICY_RECORDED = "policy_recorded"


class GameRecordError(ZerogoError, ValueError):
    """A game file or record that fails validation; the message names where and why."""


def quantise_policy(policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32[N*N+1] distribution -> (moves int16[k], probs uint16[k]) of its non-zero entries.

    Entries that round to zero are dropped; ``dequantise`` renormalises.
    """
    policy = np.asarray(policy, np.float64)
    total = policy.sum()
    if not np.all(np.isfinite(policy)) or np.any(policy < 0) or total <= 0:
        raise ValueError(f"policy must be a non-negative distribution, got sum {total}")
    q = np.rint(policy / total * QUANT)
    nz = np.flatnonzero(q > 0)
    return nz.astype(np.int16), q[nz].astype(np.uint16)


@dataclass
class GameRecord:
    """A finished game.

    Attributes:
        board_size, komi: the rules it was played under (area scoring, positional superko).
        moves: int16[T], flat move indices (pass = N*N), in order.
        policy_offsets: int32[T+1]; position t's distribution is
            ``policy_moves[o[t]:o[t+1]]`` with weights ``policy_probs[o[t]:o[t+1]] / QUANT``.
        winner: +1 black, -1 white, 0 draw.
        score: black area - white area - komi at the end; NaN when the game was resigned.
        resigned: 0, or the colour (+1/-1) of the player who resigned.
        no_resign: resignation was disabled in this game (kept to measure false positives).
        would_resign, would_resign_move: in a no-resign game, the first player whose
            search asked to resign and the move number when it did (0 / -1 if none).
        min_value_black, min_value_white: in a no-resign game, each player's lowest
            ``BatchedSearch.resign_value`` over its moves, from its own point of view
            (in [-1, 1]; calibrates the resign threshold); NaN when not tracked.
        game_id: arrival number in the run (-1 until the driver assigns it).
        worker: the worker that played it; best_version: the network version that played.
        session, serial: the worker process's random session number and the game's
            number among the games that process finished (0, 1, 2, ...).
        policy_recorded: bool[T], whether position t's search was a full one whose visit
            distribution is a policy target (playout cap randomization: a fast search's
            distribution is kept but trains nothing; every position has a value target);
            ``None`` means every position (``policy_target_mask``).
        ownership: int8[N*N], the final position's Tromp-Taylor owner of each point in
            absolute colours (+1 black, -1 white, 0 neutral), row-major from the top
            left; empty when unknown (a resigned game, or a file written before it
            existed).
    """

    board_size: int
    komi: float
    moves: np.ndarray
    policy_offsets: np.ndarray
    policy_moves: np.ndarray
    policy_probs: np.ndarray
    winner: int
    score: float = math.nan
    resigned: int = 0
    no_resign: bool = False
    would_resign: int = 0
    would_resign_move: int = -1
    game_id: int = -1
    worker: int = -1
    best_version: int = 0
    session: int = 0
    serial: int = -1
    min_value_black: float = math.nan
    min_value_white: float = math.nan
    policy_recorded: np.ndarray | None = None
    ownership: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    _checked: bool = field(default=False, repr=False, compare=False)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_policies(cls, board_size: int, komi: float, moves: list[int],
                      policies: list[tuple[np.ndarray, np.ndarray]], winner: int,
                      **kwargs) -> GameRecord:
        """Build a record from moves and per-position ``quantise_policy`` outputs."""
        lengths = [len(m) for m, _ in policies]
        offsets = np.zeros(len(policies) + 1, np.int32)
        np.cumsum(lengths, out=offsets[1:])
        pm = np.concatenate([m for m, _ in policies]) if policies else np.zeros(0, np.int16)
        pp = np.concatenate([p for _, p in policies]) if policies else np.zeros(0, np.uint16)
        return cls(board_size, float(komi), np.asarray(moves, np.int16), offsets,
                   pm.astype(np.int16), pp.astype(np.uint16), int(winner), **kwargs)

    # ------------------------------------------------------------------ queries
    @property
    def num_positions(self) -> int:
        return len(self.moves)

    @property
    def false_positive(self) -> bool:
        """A no-resign game in which the player who would have resigned won after all."""
        return self.no_resign and self.would_resign != 0 and self.would_resign == self.winner

    def to_play(self) -> np.ndarray:
        """int8[T]: +1 black / -1 white, the player to move at each position."""
        out = np.ones(self.num_positions, np.int8)
        out[1::2] = -1
        return out

    def policy_target_mask(self) -> np.ndarray:
        """bool[T]: True where the position's visit distribution is a policy target."""
        if self.policy_recorded is None:
            return np.ones(self.num_positions, np.bool_)
        return np.asarray(self.policy_recorded, np.bool_)

    def value_targets(self) -> np.ndarray:
        """int8[T]: the result from the point of view of the player to move (+1 won)."""
        return (self.to_play() * np.int8(self.winner)).astype(np.int8)

    def ownership_targets(self) -> np.ndarray | None:
        """float32[T, N, N]: the final ownership from the point of view of the player to
        move at each position (+1 its point, -1 the opponent's, 0 neutral); ``None`` when
        the record has no final ownership."""
        if len(self.ownership) == 0:
            return None
        n = self.board_size
        own = self.ownership.reshape(1, n, n).astype(np.float32)
        return self.to_play().astype(np.float32).reshape(-1, 1, 1) * own

    def score_targets(self) -> np.ndarray:
        """float32[T]: the final score from the point of view of the player to move at
        each position (its area minus the opponent's, komi included); NaN when resigned."""
        return (self.to_play().astype(np.float32) * np.float32(self.score)).astype(np.float32)

    def policy(self, t: int) -> np.ndarray:
        """float32[N*N+1]: the visit distribution at position ``t`` (sums to 1)."""
        out = np.zeros(self.board_size * self.board_size + 1, np.float32)
        a, b = self.policy_offsets[t], self.policy_offsets[t + 1]
        out[self.policy_moves[a:b]] = self.policy_probs[a:b]
        return out / out.sum()

    def result_string(self) -> str:
        """SGF ``RE``: ``"B+R"`` for a resignation, ``"W+3.5"``, or ``"0"`` for a draw."""
        if self.winner == 0:
            return "0"
        colour = "B" if self.winner > 0 else "W"
        if self.resigned:
            return f"{colour}+R"
        margin = abs(self.score)
        return f"{colour}+{int(margin) if float(margin).is_integer() else f'{margin:g}'}"

    # ------------------------------------------------------------------ bytes
    def to_npz_bytes(self) -> bytes:
        """The record as compressed ``.npz`` bytes (plain arrays, no pickled objects)."""
        self.validate("record to write")
        buf = io.BytesIO()
        arrays = {k: getattr(self, k) for k in (*_ARRAYS, *_OPTIONAL_ARRAYS)}
        scalars = {k: np.asarray(getattr(self, k), dtype) for k, dtype in _SCALARS.items()}
        if self.policy_recorded is not None:
            arrays[_POLICY_RECORDED] = self.policy_target_mask()
        np.savez_compressed(buf, **arrays, **scalars)
        return buf.getvalue()

    @classmethod
    def from_npz(cls, source, where: str | None = None) -> GameRecord:
        """Read a record from an ``.npz`` path or bytes; ``GameRecordError`` naming ``where``."""
        where = where or str(source if not isinstance(source, bytes) else "<bytes>")
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        try:
            with np.load(source, allow_pickle=False) as data:
                values = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise GameRecordError(f"{where}: file is missing") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise GameRecordError(f"{where}: not a readable .npz game file ({exc})") from exc
        kwargs = {}
        for key, (dtype, ndim) in (_ARRAYS | _OPTIONAL_ARRAYS).items():
            if key not in values:
                if key in _OPTIONAL_ARRAYS:
                    kwargs[key] = np.zeros(0, dtype)
                    continue
                raise GameRecordError(f"{where}: missing array {key!r}")
            a = values[key]
            if a.dtype != dtype or a.ndim != ndim:
                raise GameRecordError(
                    f"{where}: array {key!r} is {a.dtype}{list(a.shape)}, expected "
                    f"{np.dtype(dtype)} with {ndim} dimension(s)")
            kwargs[key] = a
        for key, dtype in _SCALARS.items():
            if key not in values:
                if key in _OPTIONAL_SCALARS:
                    kwargs[key] = _OPTIONAL_SCALARS[key]
                    continue
                raise GameRecordError(f"{where}: missing value {key!r}")
            a = values[key]
            if a.shape != () or a.dtype != dtype:
                raise GameRecordError(f"{where}: value {key!r} is {a.dtype}{list(a.shape)}, "
                                      f"expected a {np.dtype(dtype)} scalar")
            kwargs[key] = a.item()
        if _POLICY_RECORDED in values:
            a = values[_POLICY_RECORDED]
            if a.dtype != np.bool_ or a.ndim != 1:
                raise GameRecordError(f"{where}: array {_POLICY_RECORDED!r} is "
                                      f"{a.dtype}{list(a.shape)}, expected bool with 1 "
                                      f"dimension(s)")
            kwargs[_POLICY_RECORDED] = a
        record = cls(**kwargs)
        record.validate(where)
        return record

    def validate(self, where: str) -> None:
        """Check shapes, ranges and consistency; ``GameRecordError`` naming ``where``."""
        if self._checked:
            return
        n = self.board_size
        if not 2 <= n <= 19:
            raise GameRecordError(f"{where}: board size must be between 2 and 19, got {n}")
        t = len(self.moves)
        if t == 0:
            raise GameRecordError(f"{where}: a game needs at least one move")
        if self.moves.min() < 0 or self.moves.max() > n * n:
            raise GameRecordError(f"{where}: move out of range 0..{n * n}")
        o = self.policy_offsets
        k = len(self.policy_moves)
        if len(o) != t + 1 or o[0] != 0 or o[-1] != k or np.any(np.diff(o) <= 0):
            raise GameRecordError(f"{where}: policy_offsets do not describe {t} positions "
                                  f"over {k} entries")
        if len(self.policy_probs) != k:
            raise GameRecordError(f"{where}: {len(self.policy_probs)} policy_probs for "
                                  f"{k} policy_moves")
        if k and (self.policy_moves.min() < 0 or self.policy_moves.max() > n * n):
            raise GameRecordError(f"{where}: policy move out of range 0..{n * n}")
        if np.any(self.policy_probs == 0):
            raise GameRecordError(f"{where}: zero entries in policy_probs")
        if self.winner not in (-1, 0, 1):
            raise GameRecordError(f"{where}: winner must be -1, 0 or 1, got {self.winner}")
        if self.resigned not in (-1, 0, 1) or self.would_resign not in (-1, 0, 1):
            raise GameRecordError(f"{where}: resigned/would_resign must be -1, 0 or 1")
        if self.resigned and self.winner != -self.resigned:
            raise GameRecordError(f"{where}: player {self.resigned} resigned but winner is "
                                  f"{self.winner}")
        if self.policy_recorded is not None and np.shape(self.policy_recorded) != (t,):
            raise GameRecordError(f"{where}: {_POLICY_RECORDED} has shape "
                                  f"{list(np.shape(self.policy_recorded))}, expected [{t}]")
        if not self.resigned and not math.isfinite(self.score):
            raise GameRecordError(f"{where}: a scored game needs a finite score")
        own = self.ownership
        if (not isinstance(own, np.ndarray) or own.dtype != np.int8
                or own.shape not in ((0,), (n * n,))
                or (len(own) and (own.min() < -1 or own.max() > 1))):
            raise GameRecordError(
                f"{where}: ownership must be empty or int8[{n * n}] in -1..1, got "
                f"{getattr(own, 'dtype', type(own).__name__)}{list(np.shape(own))}")
        for key in ("min_value_black", "min_value_white"):
            value = getattr(self, key)
            if not math.isnan(value) and not -1.001 <= value <= 1.001:
                raise GameRecordError(f"{where}: {key} must be NaN or in [-1, 1], got "
                                      f"{value!r}")
        self._checked = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GameRecord):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, k), getattr(other, k))
            for k in (*_ARRAYS, *_OPTIONAL_ARRAYS)
        ) and all(
            (getattr(self, k) == getattr(other, k))
            or (k in _NAN_OK and math.isnan(getattr(self, k))
                and math.isnan(getattr(other, k)))
            for k in _SCALARS
        ) and np.array_equal(self.policy_target_mask(), other.policy_target_mask())
