"""GTP time commands: ``time_settings``, ``time_left``, ``kgs-time_settings``.

They fill one ``Clock`` per colour; the engine asks ``Clocks.budget`` how long to think.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gtp.game_state import BLACK, parse_colour
from gtp.protocol import (
    Arg,
    CommandSpec,
    GtpSyntaxError,
    parse_float,
    parse_int,
    parse_string,
    shown,
)
from gtp.time_control import Clock, TimeManager, TimeSettings

MAX_SECONDS = 10**7  # about four months; larger values are refused as syntax errors


def parse_seconds(text: str) -> int:
    """A GTP time in whole seconds (an ``int``, at most ``MAX_SECONDS``)."""
    value = parse_int(text)
    if value > MAX_SECONDS:
        raise ValueError(f"time {shown(text)} s is more than {MAX_SECONDS} s")
    return value


def parse_seconds_float(text: str) -> float:
    """A time in seconds that may have a fraction (``time_left`` from some controllers):
    a GTP ``float`` (ASCII decimal, no ``nan``/``inf``) in ``0..MAX_SECONDS``; ``-0`` is 0."""
    value = parse_float(text)
    if not 0 <= value <= MAX_SECONDS:
        raise ValueError(f"time must be 0..{MAX_SECONDS} s, got {shown(text)}")
    return value + 0.0


@dataclass
class Clocks:
    """Both players' clocks and the time manager."""

    settings: TimeSettings = field(default_factory=TimeSettings)
    manager: TimeManager = field(default_factory=TimeManager)
    black: Clock = field(default_factory=Clock)
    white: Clock = field(default_factory=Clock)

    def set(self, settings: TimeSettings) -> None:
        """New settings: both clocks start full."""
        self.settings = settings
        self.black = Clock(settings)
        self.white = Clock(settings)

    def clock(self, colour: int) -> Clock:
        """The clock of ``colour`` (+1 black, -1 white)."""
        return self.black if colour == BLACK else self.white

    def budget(self, colour: int, size: int, move_number: int) -> float | None:
        """Seconds ``colour`` may think on this move; ``None`` when there is no limit."""
        return self.manager.budget(self.clock(colour), size, move_number)

    def specs(self) -> list[CommandSpec]:
        """The command table entries."""
        return [
            CommandSpec("time_settings", self.time_settings,
                        (Arg("main_time", parse_seconds), Arg("byo_yomi_time", parse_seconds),
                         Arg("byo_yomi_stones", parse_int))),
            CommandSpec("time_left", self.time_left,
                        (Arg("colour", parse_colour), Arg("time", parse_seconds_float),
                         Arg("stones", parse_int))),
            CommandSpec("kgs-time_settings", self.kgs_time_settings,
                        (Arg("system", parse_string),), Arg("value", parse_seconds)),
        ]

    def time_settings(self, main: int, byo_yomi: int, stones: int) -> None:
        self.set(TimeSettings.from_gtp(main, byo_yomi, stones))

    def time_left(self, colour: int, seconds: float, stones: int) -> None:
        self.clock(colour).report(seconds, stones)

    def kgs_time_settings(self, system: str, values: list[int]) -> None:
        """``none`` | ``absolute main`` | ``byoyomi main period periods`` |
        ``canadian main period stones``."""
        arity = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
        if system not in arity:
            raise GtpSyntaxError(
                f"time system must be one of {sorted(arity)}, got {shown(system)}")
        if len(values) != arity[system]:
            raise GtpSyntaxError(
                f"kgs-time_settings {system} takes {arity[system]} value(s), got {len(values)}")
        if system == "none":
            settings = TimeSettings("none")
        elif system == "absolute":
            settings = TimeSettings("absolute", main=values[0])
        elif system == "byoyomi":
            main, period, periods = values
            settings = (TimeSettings("absolute", main=main) if period == 0 or periods == 0
                        else TimeSettings("byoyomi", main=main, period=period,
                                          periods=periods))
        else:
            main, period, stones = values
            settings = (TimeSettings("absolute", main=main) if period == 0 or stones == 0
                        else TimeSettings("canadian", main=main, period=period, stones=stones))
        self.set(settings)

