"""Network and training configuration: frozen dataclasses, no Keras import.

``NetworkConfig`` says the shape of a residual tower (``b6c64``: 6 residual blocks of 64
filters) and of its inputs; ``TrainConfig`` says how it is trained. Both round-trip
through plain dicts (``to_dict`` / ``from_dict``) so they can be written as JSON next to
checkpoints. This module imports neither Keras nor TensorFlow, so a process that only
composes configurations (a driver, a search worker) stays light.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from go.coords import MAX_SIZE, MIN_SIZE

#: Upper bounds of the shape fields: far beyond any network trained (KataGo's largest
#: nets have 40 blocks of 768 channels) yet small enough that a typo is refused at once
#: instead of asking for terabytes.
MAX_SHAPE = {"blocks": 256, "filters": 4096, "history_length": 64, "kernel_size": 19,
             "policy_filters": 1024, "value_filters": 1024, "value_hidden": 65536}
MAX_BATCH_SIZE = 1 << 20
"""Largest training batch (AlphaGo Zero: 2,048)."""
MAX_LEARNING_RATES = 64
"""Most steps in a learning-rate schedule."""
MAX_STEPS = 10**12
"""Largest optimizer step count a schedule boundary may name."""


def _check_positive_int(name: str, value: Any, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value > high:
        raise ValueError(f"{name} must be at most {high}, got {value!r}")


def _check_number(name: str, value: Any, low: float, high: float, open_low: bool = False,
                  open_high: bool = False) -> float:
    """``value`` as a float if it is a finite number in the interval, else ``ValueError``
    naming ``name``, the interval and the value."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(
        value) and (value > low if open_low else value >= low) and (
        value < high if open_high else value <= high)
    if not ok:
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class NetworkConfig:
    """The shape of an AlphaGo Zero style network.

    Attributes:
        board_size: N, the board is N x N (2..19).
        blocks: number of ``Residual`` blocks after the stem convolution (0 allowed).
        filters: channels of the stem and of every residual block.
        history_length: H, boards of history per side in the input planes; the input has
            ``2H + 1`` planes (AlphaGo Zero: H = 8, 17 planes).
        kernel_size: odd kernel size of the stem and residual convolutions (AlphaGo Zero: 3).
        policy_filters: 1x1 filters of the policy head (AlphaGo Zero: 2).
        policy_head: ``"dense"`` (AlphaGo Zero's: a dense layer over the flattened
            filters) or ``"conv"`` (fully convolutional, one logit per point from a shared
            1x1 convolution, pass from the filters' board means; ``network.heads``).
        value_filters: 1x1 filters of the value head (AlphaGo Zero: 1).
        value_hidden: units of the value head's hidden dense layer (AlphaGo Zero: 256).
        bn_momentum: batch-normalisation moving-average momentum.
        auxiliary_heads: add KataGo's final-ownership (``float32[B, N, N]`` in [-1, 1],
            +1 = owned by the player to move) and final-score (``float32[B, 1]``, points,
            the player to move's score minus the opponent's, komi included) outputs to the
            head layer. ``False`` is AlphaGo Zero's network, unchanged.
        global_pooling_every: ``k > 0`` makes every k-th residual block (blocks k, 2k,
            ...) a ``GlobalPoolingResidual`` (KataGo's global-pooling block); 0: none.
        pooled_channels: channels of each global-pooling block's pooled branch.
        liberty_planes: three more input planes, KataGo's liberty features: stones whose
            chain has exactly 1, 2, 3 liberties (``network.liberties``). ``False`` is
            AlphaGo Zero's input, unchanged.
    """

    board_size: int = 9
    blocks: int = 6
    filters: int = 64
    history_length: int = 8
    kernel_size: int = 3
    policy_filters: int = 2
    policy_head: str = "dense"
    value_filters: int = 1
    value_hidden: int = 256
    bn_momentum: float = 0.99
    auxiliary_heads: bool = False
    global_pooling_every: int = 0
    pooled_channels: int = 16
    liberty_planes: bool = False

    def __post_init__(self) -> None:
        if (isinstance(self.board_size, bool) or not isinstance(self.board_size, int)
                or not MIN_SIZE <= self.board_size <= MAX_SIZE):
            raise ValueError(
                f"board_size must be an integer between {MIN_SIZE} and "
                f"{MAX_SIZE}, got {self.board_size!r}")
        if isinstance(self.blocks, bool) or not isinstance(self.blocks, int) or self.blocks < 0:
            raise ValueError(f"blocks must be a non-negative integer, got {self.blocks!r}")
        if self.blocks > MAX_SHAPE["blocks"]:
            raise ValueError(f"blocks must be at most {MAX_SHAPE['blocks']}, got {self.blocks}")
        for name in ("filters", "history_length", "kernel_size", "policy_filters",
                     "value_filters", "value_hidden"):
            _check_positive_int(name, getattr(self, name), MAX_SHAPE[name])
        if self.policy_head not in ("dense", "conv"):
            raise ValueError(f"policy_head must be 'dense' or 'conv', got {self.policy_head!r}")
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        if (isinstance(self.bn_momentum, bool) or not isinstance(self.bn_momentum, (int, float))
                or not 0.0 < self.bn_momentum < 1.0):
            raise ValueError(f"bn_momentum must be in (0, 1), got {self.bn_momentum!r}")
        if not isinstance(self.auxiliary_heads, bool):
            raise ValueError(
                f"auxiliary_heads must be true or false, got {self.auxiliary_heads!r}")
        if (isinstance(self.global_pooling_every, bool)
                or not isinstance(self.global_pooling_every, int)
                or not 0 <= self.global_pooling_every <= MAX_SHAPE["blocks"]):
            raise ValueError(
                f"global_pooling_every must be an integer in 0..{MAX_SHAPE['blocks']}, got "
                f"{self.global_pooling_every!r}")
        _check_positive_int("pooled_channels", self.pooled_channels, MAX_SHAPE["filters"])
        if not isinstance(self.liberty_planes, bool):
            raise ValueError(
                f"liberty_planes must be true or false, got {self.liberty_planes!r}")

    def is_global_pooling_block(self, index: int) -> bool:
        """Whether residual block ``index`` (1-based) is a global-pooling block."""
        every = self.global_pooling_every
        return every > 0 and index % every == 0

    @property
    def name(self) -> str:
        """The tower's shape, KataGo style: ``b6c64`` = 6 blocks of 64 channels."""
        return f"b{self.blocks}c{self.filters}"

    @property
    def input_planes(self) -> int:
        """C = 2H + 1: H own-stone planes, H opponent planes, one colour plane; plus 3
        liberty planes with ``liberty_planes``."""
        return 2 * self.history_length + 1 + (3 if self.liberty_planes else 0)

    @property
    def num_moves(self) -> int:
        """N*N + 1: every point plus pass (the policy's length)."""
        return self.board_size * self.board_size + 1

    @classmethod
    def tiny(cls, board_size: int = 9, history_length: int = 2) -> NetworkConfig:
        """A network small enough for unit tests: 2 blocks of 16 filters."""
        return cls(board_size=board_size, blocks=2, filters=16, history_length=history_length,
                   value_hidden=16)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkConfig:
        """Inverse of ``to_dict``; unknown keys are refused by name."""
        return _from_dict(cls, data)


#: Named configurations.
#:
#: "cpu9", the 9x9 default, is b4c32 (0.10 M parameters): on 2 CPU cores without AVX-512
#: its forward pass at batch 128 ran 7,316 positions/s against b4c48's 3,917 and b6c64's
#: 1,871, and two hours of the default command with seed 1 rated it against b4c48 the way
#: b4c48 had been rated against b6c64 (docs/learning.md, "Smaller still"; KataGo, too,
#: started small and grew its network). Larger towers are a ``[network]`` table away
#: (``blocks``, ``filters``); docs/laptop9.toml and docs/agz9.toml keep their runs' b6c64.
#: b4c48 (0.20 M parameters) had stored 2.3x the positions of b6c64 in two hours and won
#: 13 of 16 games against GNU Go level 0 giving 7 stones where b6c64 won 3 of 16
#: (docs/learning.md, "A smaller tower").
#: Before b4c48 it was b6c64 (0.49 M parameters, ~80 MFLOP per position). Measured
#: in one run on 2 shared CPU cores with ``NetworkEvaluator``: ~1,960 positions/s at batch 8
#: and ~4,700/s at batch 64 (b10c128: 630 and 920/s; b4c32: 2,900 and 10,500/s). At 200
#: simulations per move that is ~20 moves/s, a ~100-move 9x9 game every ~5 s (hundreds of
#: self-play games an hour on a laptop, the search's own CPU cost aside), while keeping
#: AlphaGo Zero's block shape, its 17 history planes and heads. "cpu9_fast" (b4c32) is ~2.3x
#: faster for weaker machines. "agz19" is AlphaGo Zero's 20-block, 256-filter 19x19 net
#: (the paper's first run), for GPUs. "cpu9" also has KataGo's auxiliary heads (final
#: ownership and score): measured interleaved in one run on the shared 2 cores (best of
#: 40, batch 64; ``python -m benchmarks --only network``, "auxiliary_evaluations_per_s"),
#: the evaluator's rate was 0.97-0.99x the plain tower's (the search's compiled pass leaves
#: their outputs out). Global pooling in blocks 3 and 6 measured 0.79-0.92x (0.88-0.92x
#: with the heads) in two runs: not shown within the 10% budget, so it stays off here
#: (``global_pooling_every=3`` turns it on). "cpu9"'s policy head is fully convolutional
#: with 32 filters (``network.heads``): trained on the same 510 games of a 9x9 run for 600
#: steps, AlphaGo Zero's dense head of 2 filters reached a held-out policy cross-entropy of
#: 4.16 nats with 53% of its probability on occupied points, and lost 4-12 at 25 playouts to
#: the untrained network; the conv head reached 3.10 nats, 2.5% on occupied points, and
#: won 15-1 (docs/learning.md). Its cost is a 1x1 convolution, under 1% of the tower's.
#: "cpu9" also reads KataGo's three liberty planes (20 input planes, ``network.liberties``):
#: after 60 minutes of the same seed and command, the newest network of the run with them
#: won 59 of 60 against the newest of the run without (docs/learning.md), for about 1 us
#: per position to compute them.
PRESETS: dict[str, NetworkConfig] = {
    "cpu9": NetworkConfig(board_size=9, blocks=4, filters=32, history_length=8,
                          policy_filters=32, policy_head="conv", auxiliary_heads=True,
                          liberty_planes=True),
    "cpu9_fast": NetworkConfig(board_size=9, blocks=4, filters=32, history_length=8,
                               value_hidden=64),
    "agz19": NetworkConfig(board_size=19, blocks=20, filters=256, history_length=8),
}


@dataclass(frozen=True)
class TrainConfig:
    """How ``Trainer`` trains a network (AlphaGo Zero's choices by default).

    Attributes:
        batch_size: positions per training step (AlphaGo Zero: 2048 over 64 GPUs; the
            trainer itself accepts any batch, this is what the pipeline samples).
        learning_rates: the step schedule's rates, first to last.
        lr_boundaries: optimizer steps at which the rate moves to the next value
            (``len(learning_rates) - 1`` increasing step counts).
        momentum: SGD momentum (AlphaGo Zero: 0.9).
        l2: weight-decay coefficient c of ``c * ||theta||^2`` over conv/dense kernels
            (AlphaGo Zero: 1e-4).
        value_loss_weight: weight of the value MSE in the total loss (AlphaGo Zero: 1).
        augment: apply a random one of the 8 board symmetries to each training position.
        ownership_loss_weight: weight of the ownership loss, the mean over the N*N points
            of the squared error of the predicted final ownership (KataGo: 1.5 on its
            per-point cross-entropy, normalised by N^2 likewise). Used only by networks
            with ``auxiliary_heads``.
        score_loss_weight: weight of the score loss, the squared error of the predicted
            final score divided by N (points per board side), so that a one-row error
            costs about 1 whatever the board (small, like KataGo's).
    """

    batch_size: int = 256
    learning_rates: tuple[float, ...] = (1e-2, 1e-3, 1e-4)
    lr_boundaries: tuple[int, ...] = (400_000, 600_000)
    momentum: float = 0.9
    l2: float = 1e-4
    value_loss_weight: float = 1.0
    augment: bool = True
    ownership_loss_weight: float = 1.5
    score_loss_weight: float = 0.02

    def __post_init__(self) -> None:
        _check_positive_int("batch_size", self.batch_size, MAX_BATCH_SIZE)
        rates, bounds = self.learning_rates, self.lr_boundaries
        if not isinstance(rates, (tuple, list)) or not 1 <= len(rates) <= MAX_LEARNING_RATES:
            raise ValueError(f"learning_rates must be 1 to {MAX_LEARNING_RATES} numbers, got "
                             f"{rates!r}")
        for rate in rates:
            if not (not isinstance(rate, bool) and isinstance(rate, (int, float))
                    and math.isfinite(rate) and 0 < rate <= 10):
                raise ValueError(f"learning_rates must be finite numbers in (0, 10], got "
                                 f"{rate!r} in {tuple(rates)}")
        object.__setattr__(self, "learning_rates", tuple(float(r) for r in rates))
        if not isinstance(bounds, (tuple, list)):
            raise ValueError(f"lr_boundaries must be a sequence of step counts, got {bounds!r}")
        object.__setattr__(self, "lr_boundaries", tuple(bounds))
        if len(self.lr_boundaries) != len(self.learning_rates) - 1:
            raise ValueError(
                f"lr_boundaries needs {len(self.learning_rates) - 1} step counts for "
                f"{len(self.learning_rates)} learning rates, got {self.lr_boundaries}")
        if any(isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= MAX_STEPS
               for b in self.lr_boundaries) or list(self.lr_boundaries) != sorted(
                set(self.lr_boundaries)):
            raise ValueError(
                f"lr_boundaries must be increasing integers in [1, {MAX_STEPS:.0e}], got "
                f"{self.lr_boundaries}")
        if (isinstance(self.momentum, bool) or not isinstance(self.momentum, (int, float))
                or not 0.0 <= self.momentum < 1.0):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        _check_number("l2", self.l2, 0.0, 1.0)
        _check_number("value_loss_weight", self.value_loss_weight, 0.0, 1000.0)
        _check_number("ownership_loss_weight", self.ownership_loss_weight, 0.0, 1000.0)
        _check_number("score_loss_weight", self.score_loss_weight, 0.0, 1000.0)
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be true or false, got {self.augment!r}")

    def learning_rate(self, step: int) -> float:
        """The scheduled learning rate at optimizer step ``step`` (0-based)."""
        for boundary, rate in zip(self.lr_boundaries, self.learning_rates, strict=False):
            if step < boundary:
                return rate
        return self.learning_rates[-1]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of every field (tuples become lists)."""
        data = dataclasses.asdict(self)
        data["learning_rates"] = list(self.learning_rates)
        data["lr_boundaries"] = list(self.lr_boundaries)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of ``to_dict``; unknown keys are refused by name."""
        return _from_dict(cls, data)


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} must be read from a dict, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {unknown}; known: {sorted(known)}")
    return cls(**data)

