"""API request counting against the org's allowance over a rolling 24 hours, as Salesforce counts.

Calls are kept in per-minute buckets stamped on the org clock (control-plane offset included);
the figure is the sum of the buckets inside the last 24 hours, so nothing resets at midnight and
a call leaves the count 24 hours after it was made (to the minute).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

from .clock import OrgClock
from .exceptions import SalesforceError

DEFAULT_DAILY_ALLOWANCE = 100_000
WINDOW = timedelta(hours=24)
_BUCKET_SECONDS = 60
_WINDOW_BUCKETS = int(WINDOW.total_seconds()) // _BUCKET_SECONDS


@dataclass
class UsageSnapshot:
    used: int
    allowance: int

    @property
    def header(self) -> str:
        return f"api-usage={self.used}/{self.allowance}"


class ApiUsage:
    def __init__(self, clock: OrgClock, allowance: int = DEFAULT_DAILY_ALLOWANCE) -> None:
        self.clock = clock
        self.allowance = allowance
        self._buckets: dict[int, int] = {}  # minute since the epoch (org clock) -> calls
        self._lock = threading.Lock()

    def _minute(self) -> int:
        return int(self.clock.now().timestamp()) // _BUCKET_SECONDS

    def _used(self, minute: int) -> int:
        """Calls in the window ending at `minute`; older buckets are dropped. Buckets ahead of
        `minute` (the clock was moved back) still count: they are not older than 24 hours."""
        cutoff = minute - _WINDOW_BUCKETS
        for stale in [key for key in self._buckets if key <= cutoff]:
            del self._buckets[stale]
        return sum(self._buckets.values())

    def count_call(self) -> UsageSnapshot:
        """Count one API request, or refuse it when the allowance is spent."""
        with self._lock:
            minute = self._minute()
            used = self._used(minute)
            if used >= self.allowance:
                raise SalesforceError(
                    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
                )
            self._buckets[minute] = self._buckets.get(minute, 0) + 1
            return UsageSnapshot(used + 1, self.allowance)

    def snapshot(self) -> UsageSnapshot:
        with self._lock:
            return UsageSnapshot(self._used(self._minute()), self.allowance)

    def configure(self, *, allowance: int | None = None, used: int | None = None) -> None:
        """Set the allowance and/or the count; a set count is stamped now (it leaves the window
        24 hours later)."""
        with self._lock:
            if allowance is not None:
                self.allowance = allowance
            if used is not None:
                self._buckets = {self._minute(): used} if used > 0 else {}
