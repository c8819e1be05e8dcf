"""Thinking-time decisions (pure functions)."""

from __future__ import annotations

import pytest

from gtp.time_control import Clock, TimeManager, TimeSettings

MANAGER = TimeManager()


def budget(settings: TimeSettings, remaining=None, stones=0, size=9, move=0):
    clock = Clock(settings)
    if remaining is not None:
        clock.report(remaining, stones)
    return MANAGER.budget(clock, size, move)


def test_no_limit_means_no_budget():
    assert budget(TimeSettings("none")) is None
    assert TimeSettings.from_gtp(0, 10, 0).system == "none"


def test_absolute_time_is_spread_over_the_game_and_never_overspent():
    settings = TimeSettings.from_gtp(300, 0, 0)
    assert settings.system == "absolute"
    first = budget(settings, size=9, move=0)
    assert 5 < first < 30  # about 300 s over ~30 moves of one player
    # less time left: less per move; later in the game: more of what is left per move
    assert budget(settings, remaining=60, move=0) < first
    assert budget(settings, remaining=60, move=50) > budget(settings, remaining=60, move=0)
    for remaining in (0.0, 0.3, 1, 5, 20):
        for move in (0, 40, 80, 200):
            spent = budget(settings, remaining=remaining, move=move)
            assert spent <= max(remaining - MANAGER.reserve, MANAGER.min_seconds)
    # a 19x19 game lasts longer, so the same clock gives less per move
    assert budget(settings, size=19) < budget(settings, size=9)


def test_canadian_byo_yomi():
    settings = TimeSettings.from_gtp(0, 30, 5)  # no main time: 5 stones per 30 s
    assert settings.system == "canadian"
    assert budget(settings) == pytest.approx(MANAGER.safety * (30 - MANAGER.reserve) / 5)
    # reported: 10 s left for the last 2 stones of the period
    assert budget(settings, remaining=10, stones=2) == pytest.approx(
        MANAGER.safety * (10 - MANAGER.reserve) / 2)
    # in main time the period adds a share on top of the main-time share
    with_main = TimeSettings.from_gtp(60, 30, 5)
    assert budget(with_main) > budget(TimeSettings.from_gtp(60, 0, 0))


def test_japanese_byo_yomi():
    settings = TimeSettings("byoyomi", main=0, period=10, periods=3)
    assert budget(settings) == pytest.approx(MANAGER.safety * (10 - MANAGER.reserve))
    assert budget(settings, remaining=10, stones=3) < 10


def test_the_clock_runs_between_reports():
    clock = Clock(TimeSettings.from_gtp(10, 20, 4))
    clock.spend(4)
    assert clock.remaining == 6 and clock.stones_left == 0
    clock.spend(7)  # main time over: byo-yomi starts
    assert clock.stones_left == 4 and clock.remaining == 20
    for _ in range(3):
        clock.spend(2)
    assert clock.stones_left == 1 and clock.remaining == 14
    clock.spend(2)  # the period is done: a fresh one
    assert clock.stones_left == 4 and clock.remaining == 20
    absolute = Clock(TimeSettings.from_gtp(5, 0, 0))
    absolute.spend(9)
    assert absolute.remaining == 0 and absolute.stones_left == 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="time system"):
        TimeSettings("fischer")
    with pytest.raises(ValueError, match="main time"):
        TimeSettings("absolute", main=-1)
    with pytest.raises(ValueError, match="time_left"):
        Clock().report(-1, 0)
