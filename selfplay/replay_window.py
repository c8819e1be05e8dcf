"""The replay window's size as a function of the run's total positions (pure, no numpy).

A window that grows with the run (KataGo, Wu 2019, appendix C): after ``N`` positions
generated in the whole run,

    window(N) = c * (1 + beta * ((N / c) ** alpha - 1) / alpha)     for N >= c
    window(N) = c                                                   for N <  c

rounded down and capped at ``cap``, with ``c`` the floor. Below ``c`` the window is the
floor itself (the buffer then holds every game, since the run has fewer than ``c``
positions). At ``N = c`` the formula gives ``c``, so the size is continuous; its slope
``beta * (N / c) ** (alpha - 1)`` is at most ``beta`` for ``alpha <= 1``. With
``beta <= 1`` and ``alpha <= 1`` a game of ``g`` positions grows the window by at most
``g`` positions, so a buffer that updates its window as each game arrives never has to
bring back a game it dropped: it equals the buffer rebuilt from the games newest first
with the final window (``ReplayBuffer.rebuild``). ``beta = 0`` or ``cap = c`` gives a
fixed window of ``c`` positions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from go.errors import ZerogoError

DEFAULT_ALPHA = 0.75
DEFAULT_BETA = 0.4


class ReplayWindowError(ZerogoError, ValueError):
    """A replay window with an impossible floor, cap, exponent or scale."""


@dataclass(frozen=True)
class ReplayWindow:
    """The window rule (see the module docstring).

    floor: ``c``, positions (>= 1). cap: the largest window, positions (>= floor).
    alpha: exponent in (0, 1]. beta: scale in [0, 1].
    """

    floor: int
    cap: int
    alpha: float = DEFAULT_ALPHA
    beta: float = DEFAULT_BETA

    def __post_init__(self) -> None:
        if isinstance(self.floor, bool) or not isinstance(self.floor, int) or self.floor < 1:
            raise ReplayWindowError(f"replay window floor must be an integer >= 1 position, "
                                    f"got {self.floor!r}")
        if isinstance(self.cap, bool) or not isinstance(self.cap, int) or self.cap < self.floor:
            raise ReplayWindowError(f"replay window cap must be an integer >= the floor "
                                    f"({self.floor}), got {self.cap!r}")
        if not (isinstance(self.alpha, (int, float)) and 0 < self.alpha <= 1):
            raise ReplayWindowError(f"replay window exponent alpha must lie in (0, 1], got "
                                    f"{self.alpha!r}")
        if not (isinstance(self.beta, (int, float)) and 0 <= self.beta <= 1):
            raise ReplayWindowError(f"replay window scale beta must lie in [0, 1], got "
                                    f"{self.beta!r}")

    @classmethod
    def fixed(cls, size: int) -> ReplayWindow:
        """A window of ``size`` positions whatever the run's length."""
        return cls(floor=size, cap=size, beta=0.0)

    @property
    def grows(self) -> bool:
        return self.cap > self.floor and self.beta > 0

    def size(self, total_positions: int) -> int:
        """Window in positions after ``total_positions`` positions in the whole run."""
        if total_positions < 0:
            raise ReplayWindowError(f"total positions must be >= 0, got {total_positions}")
        c = self.floor
        if not self.grows or total_positions <= c:
            return c
        grown = c * (1 + self.beta * ((total_positions / c) ** self.alpha - 1) / self.alpha)
        if not math.isfinite(grown) or grown >= self.cap:
            return self.cap
        # The tolerance keeps rounding from floating-point error (203 - 1e-13 -> 202)
        # from growing the window by more than the positions added.
        return max(c, int(grown + 1e-6))


def from_pipeline(pipeline: object) -> ReplayWindow:
    """The window of a ``rundir.config.PipelineConfig``: floor ``window``, cap
    ``window_max`` (``None``: the floor, a fixed window), ``window_alpha``,
    ``window_beta``."""
    floor = pipeline.window  # type: ignore[attr-defined]
    cap = pipeline.window_max  # type: ignore[attr-defined]
    return ReplayWindow(floor=floor, cap=floor if cap is None else cap,
                        alpha=pipeline.window_alpha,  # type: ignore[attr-defined]
                        beta=pipeline.window_beta)  # type: ignore[attr-defined]
