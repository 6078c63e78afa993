"""Salesforce's clock, as leadbridge sees it: the `Date` header of every reply.

Pull windows, cursors and "since" times must be on the org's clock, never this machine's:
a machine running minutes ahead of Salesforce would otherwise skip edits silently. Every
reply carries `Date` (whole seconds, RFC 7231); the offset between it and our clock at the
moment the reply arrived is kept, and `now()` is our clock plus that offset.

A `Date` of 12:00:07 means the server's clock read something in [12:00:07, 12:00:08) when it
answered, so half a second is added: the estimate is then within about ±0.5 s plus the
network's one-way latency, far inside the pull's overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

HALF_SECOND = timedelta(milliseconds=500)


def parse_http_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from an HTTP `Date` header, or None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class ServerClock:
    """The org's clock, estimated from reply headers (thread-safe)."""

    def __init__(self, local: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._local = local
        self._offset: timedelta | None = None
        self._lock = threading.Lock()

    @property
    def offset(self) -> timedelta | None:
        """Salesforce's clock minus ours (None before any reply with a `Date` was seen)."""
        with self._lock:
            return self._offset

    def observe(self, date_header: str | None) -> None:
        """Note a reply's `Date` header, received just now."""
        server = parse_http_date(date_header)
        if server is None:
            return
        offset = server + HALF_SECOND - self._local()
        with self._lock:
            self._offset = offset

    def now(self) -> datetime | None:
        """Salesforce's time now, or None when no reply has told it yet."""
        offset = self.offset
        return None if offset is None else self._local() + offset
