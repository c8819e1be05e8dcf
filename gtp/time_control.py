"""Clocks from ``time_settings`` / ``kgs-time_settings`` / ``time_left``, and how long to
think for one move.

All times are seconds. Systems (GTP section 4.2 and KGS' extension):

* ``none``: no limit (``time_settings`` with byo-yomi time > 0 and 0 stones);
* ``absolute``: ``main`` seconds for the whole game (byo-yomi time 0);
* ``canadian``: after ``main``, ``stones`` moves every ``period`` seconds;
* ``byoyomi`` (Japanese): after ``main``, ``periods`` periods of ``period`` seconds, a
  period used only when a move takes longer than it.

``time_left colour seconds stones`` reports the clock: ``stones == 0`` means still in main
time; otherwise in byo-yomi with ``stones`` moves left in the Canadian period (for
Japanese byo-yomi KGS sends the periods left there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SYSTEMS = ("none", "absolute", "canadian", "byoyomi")


@dataclass(frozen=True)
class TimeSettings:
    """A time system and its parameters (seconds; ``stones``/``periods`` counts)."""

    system: str = "none"
    main: float = 0.0
    period: float = 0.0
    stones: int = 0
    periods: int = 0

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise ValueError(f"time system must be one of {SYSTEMS}, got {self.system!r}")
        for name in ("main", "period"):
            value = getattr(self, name)
            if not 0 <= value < float("inf"):
                raise ValueError(f"{name} time must be a finite number >= 0, got {value}")
        if self.stones < 0 or self.periods < 0:
            raise ValueError(
                f"stones and periods must be >= 0, got {self.stones} and {self.periods}")

    @classmethod
    def from_gtp(cls, main: float, byo_yomi_time: float, byo_yomi_stones: int) -> TimeSettings:
        """``time_settings main_time byo_yomi_time byo_yomi_stones`` (Canadian byo-yomi)."""
        if byo_yomi_time > 0 and byo_yomi_stones == 0:
            return cls("none")
        if byo_yomi_time == 0:
            return cls("absolute", main=main)
        return cls("canadian", main=main, period=byo_yomi_time, stones=byo_yomi_stones)


@dataclass
class Clock:
    """One player's clock as last reported (``time_left``) or as set by the settings."""

    settings: TimeSettings = field(default_factory=TimeSettings)
    remaining: float | None = None  # seconds left in the current phase; None: full
    stones_left: int = 0  # 0: main time; >0: byo-yomi (stones, or periods for byoyomi)

    def report(self, seconds: float, stones: int) -> None:
        """Record a ``time_left`` report."""
        if not 0 <= seconds < float("inf") or stones < 0:
            raise ValueError(f"time_left needs seconds >= 0 and stones >= 0, "
                             f"got {seconds} and {stones}")
        self.remaining = float(seconds)
        self.stones_left = int(stones)

    def spend(self, seconds: float) -> None:
        """Deduct one move's ``seconds`` (between ``time_left`` reports the engine keeps
        its own clock)."""
        s = self.settings
        if s.system == "none":
            return
        left = (s.main if self.remaining is None else self.remaining) - seconds
        if self.stones_left == 0:  # main time
            if left > 0 or s.system == "absolute":
                self.remaining = max(left, 0.0)
            else:  # main time ran out: byo-yomi starts
                self.stones_left = s.stones if s.system == "canadian" else max(s.periods, 1)
                self.remaining = s.period
        elif s.system == "canadian":
            self.stones_left -= 1
            if self.stones_left == 0:  # period done: a fresh one
                self.stones_left, self.remaining = s.stones, s.period
            else:
                self.remaining = max(left, 0.0)
        else:  # Japanese byo-yomi: a move longer than the period uses the period up
            if seconds > s.period:
                self.stones_left = max(self.stones_left - 1, 1)
            self.remaining = s.period


@dataclass(frozen=True)
class TimeManager:
    """Decides the thinking time of one move.

    ``reserve`` seconds are never spent (transmission lag, process start); in main time
    a move gets the remaining main time divided over the moves the player is still
    expected to make (``expected_moves(size, move_number)``), plus a share of byo-yomi
    when there is one; in byo-yomi it gets the period divided by the stones still due,
    with the same safety margin.
    """

    reserve: float = 0.5
    safety: float = 0.8
    min_seconds: float = 0.05

    def expected_moves(self, size: int, move_number: int) -> float:
        """How many more moves one player is expected to make: a game lasts about
        ``0.75 * N * N`` moves in all; never fewer than ``0.1 * N * N`` (and 5)."""
        total = 0.75 * size * size
        return max((total - move_number) / 2.0, 0.1 * size * size, 5.0)

    def budget(self, clock: Clock, size: int, move_number: int) -> float | None:
        """Seconds to spend on this move, or ``None`` when the clock sets no limit."""
        s = clock.settings
        if s.system == "none":
            return None
        main_left = s.main if clock.remaining is None else clock.remaining
        if s.system == "absolute":
            usable = max(main_left - self.reserve, 0.0)
            return max(usable / self.expected_moves(size, move_number), self.min_seconds)
        if clock.stones_left == 0 and main_left > 0:  # main time before byo-yomi
            share = max(main_left - self.reserve, 0.0) / self.expected_moves(size, move_number)
            if s.system == "canadian":
                share += self.safety * s.period / max(s.stones, 1)
            elif s.periods > 0:
                share += self.safety * s.period
            return max(share, self.min_seconds)
        if s.system == "canadian":
            period_left = s.period if clock.stones_left == 0 else main_left
            stones = clock.stones_left if clock.stones_left > 0 else max(s.stones, 1)
            return max(self.safety * (period_left - self.reserve) / stones, self.min_seconds)
        period_left = s.period if clock.stones_left == 0 else min(main_left, s.period)
        return max(self.safety * (period_left - self.reserve), self.min_seconds)
