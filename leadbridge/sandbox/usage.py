"""API request counting against the org's daily allowance (the count resets at UTC midnight)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .clock import OrgClock
from .exceptions import SalesforceError

DEFAULT_DAILY_ALLOWANCE = 100_000


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
        self._used = 0
        self._day = clock.now().date()
        self._lock = threading.Lock()

    def _roll(self) -> None:
        today = self.clock.now().date()
        if today != self._day:
            self._day = today
            self._used = 0

    def count_call(self) -> UsageSnapshot:
        """Count one API request, or refuse it when the allowance is spent."""
        with self._lock:
            self._roll()
            if self._used >= self.allowance:
                raise SalesforceError(
                    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
                )
            self._used += 1
            return UsageSnapshot(self._used, self.allowance)

    def snapshot(self) -> UsageSnapshot:
        with self._lock:
            self._roll()
            return UsageSnapshot(self._used, self.allowance)

    def configure(self, *, allowance: int | None = None, used: int | None = None) -> None:
        with self._lock:
            if allowance is not None:
                self.allowance = allowance
            if used is not None:
                self._used = used
