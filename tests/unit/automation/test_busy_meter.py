"""The form intake's busy meter: busy from BUSY_RATE posts in the current or last second."""

from __future__ import annotations

from leadbridge.automation.busy import BusyMeter


class Ticking:
    def __init__(self) -> None:
        self.at = 100.0

    def __call__(self) -> float:
        return self.at


def test_busy_while_posts_come_at_the_rate_and_quiet_two_seconds_after() -> None:
    clock = Ticking()
    meter = BusyMeter(rate=3, now=clock)
    for _ in range(2):
        meter.tick()
    assert not meter.busy()
    meter.tick()
    assert meter.busy()
    clock.at = 101.2  # the next second: the last one counts
    assert meter.busy()
    meter.tick()
    clock.at = 102.1  # one post in the last second
    assert not meter.busy()
    for _ in range(3):
        meter.tick()
    clock.at = 104.0  # a quiet second in between: nothing counts
    assert not meter.busy()
