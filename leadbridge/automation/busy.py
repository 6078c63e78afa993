"""How busy a process's form intake is: posts accepted in the current and the last second.

`serve`'s background applier (automation/form_posts.py) shares the process — and, on a small
machine, the cores — with the public endpoint. While posts come in faster than `BUSY_RATE`
a second (a campaign's burst), taking them comes first: the applier then applies a small
batch every few seconds only, so the backlog still moves, and catches up once the burst is
over; workers (`leadbridge worker`, other machines) apply at full speed all along.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BUSY_RATE = 100  # posts a second from which the intake counts as busy


class BusyMeter:
    """`tick()` for each post; `busy()` when the last or the current second saw BUSY_RATE
    posts. Approximate under threads (a lost tick changes nothing that matters)."""

    def __init__(self, *, rate: int = BUSY_RATE, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._now = now
        self._second = int(now())
        self._count = 0
        self._last = 0

    def tick(self) -> None:
        self._roll()
        self._count += 1

    def busy(self) -> bool:
        self._roll()
        return max(self._count, self._last) >= self.rate

    def _roll(self) -> None:
        second = int(self._now())
        if second != self._second:
            self._last = self._count if second == self._second + 1 else 0
            self._second, self._count = second, 0
