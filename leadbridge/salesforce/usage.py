"""API usage accounting: every HTTP call counted by kind, the org's usage read from each reply,
and leadbridge's budget (a share of the org's API allowance) enforced before each call.

The org's figure comes from the `Sforce-Limit-Info: api-usage=USED/LIMIT` header. Only a reply
tells us, so the budget check uses the last known figure, and a figure older than
`stale_after` seconds is not trusted: the next call goes out and brings a fresh one. Salesforce
counts calls over a rolling 24 hours (no reset at midnight), so usage goes down again as calls
older than 24 hours drop out; nothing here waits for a calendar day.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

import requests

from leadbridge.errors import CrmLimitError
from leadbridge.ports import ApiUsageReport

CallKind = Literal[
    "query",
    "query_more",
    "describe",
    "create",
    "update",
    "upsert",
    "retrieve",
    "delete",
    "bulk",
    "login",
    "limits",
    "updated",
    "deleted",
    "other",
]

# Not `per-app-api-usage=`: only the org-wide figure counts against the allowance.
_API_USAGE = re.compile(r"(?<![\w-])api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """`(used, limit)` from a `Sforce-Limit-Info` header value, or None."""
    if not header:
        return None
    match = _API_USAGE.search(header)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


class UsageMeter:
    """Counts calls and keeps leadbridge within its budget. One per client; not thread-safe."""

    def __init__(
        self,
        *,
        budget_percent: float = 50.0,
        stale_after: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < budget_percent <= 100:
            raise ValueError("budget_percent must be more than 0 and at most 100")
        self.budget_percent = budget_percent
        self.stale_after = stale_after
        self._clock = clock
        self.calls_by_kind: Counter[str] = Counter()
        self.used: int | None = None
        self.limit: int | None = None
        self._observed_at: float | None = None
        self._refused = False  # the org answered REQUEST_LIMIT_EXCEEDED
        self._kind: CallKind = "other"

    @contextmanager
    def kind(self, kind: CallKind) -> Iterator[None]:
        """Count the calls made inside the block as `kind`."""
        previous, self._kind = self._kind, kind
        try:
            yield
        finally:
            self._kind = previous

    @property
    def our_calls(self) -> int:
        return sum(self.calls_by_kind.values())

    def api_calls(self) -> int:
        """Calls that count against the org's allowance (logins do not)."""
        return self.our_calls - self.calls_by_kind["login"]

    def before_call(self) -> None:
        """Refuse the call if the budget is spent (logins are free), else count it."""
        if self._kind != "login":
            self.check_budget()
        self.calls_by_kind[self._kind] += 1

    def after_response(self, response: requests.Response) -> None:
        figures = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if figures is not None:
            self.record(*figures)
        elif response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content:
            self._refused = True
            if self.limit is not None:
                self.used = max(self.used or 0, self.limit)
            self._observed_at = self._clock()

    def record(self, used: int, limit: int) -> None:
        self.used, self.limit = used, limit
        self._refused = False
        self._observed_at = self._clock()

    def _fresh(self) -> bool:
        return (
            self._observed_at is not None and self._clock() - self._observed_at <= self.stale_after
        )

    def check_budget(self) -> None:
        """Raise CrmLimitError if the last known usage says leadbridge must stop."""
        if not self._fresh():
            return
        if self._refused:
            spent = f" ({self.used:,} of {self.limit:,} calls)" if self.limit else ""
            raise CrmLimitError(
                "REQUEST_LIMIT_EXCEEDED",
                "Salesforce refused a call because the org's API allowance (calls over a rolling "
                f"24 hours) is spent{spent}. leadbridge stops calling Salesforce until the "
                "allowance frees up as older calls drop out of the window.",
                status=403,
                details={"used": self.used, "limit": self.limit},
            )
        if self.used is None or not self.limit:
            return
        allowed = self.limit * self.budget_percent / 100
        if self.used >= allowed:
            share = 100 * self.used / self.limit
            raise CrmLimitError(
                "API_BUDGET_EXCEEDED",
                f"the org has used {self.used:,} of its {self.limit:,} API calls per rolling "
                f"24 hours "
                f"({share:.0f}%); leadbridge may use up to {self.budget_percent:g}% "
                f"({allowed:,.0f} calls), so it stops calling Salesforce until usage drops "
                "below that.",
                details={
                    "used": self.used,
                    "limit": self.limit,
                    "budget_percent": self.budget_percent,
                },
            )

    def report(self) -> ApiUsageReport:
        return ApiUsageReport(
            used=self.used, limit=self.limit, calls_by_kind=dict(self.calls_by_kind)
        )
