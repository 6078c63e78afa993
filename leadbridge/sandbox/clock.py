"""The sandbox's notion of now: real UTC time plus an offset the control plane can move."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as format_datetime_rfc


class OrgClock:
    """Now is the host's UTC time plus an offset; frozen, it stays at one moment (plus the
    offset) until advanced or thawed, so a test can make many changes within one second."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._frozen: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(UTC)
            return base + self._offset

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta

    def reset(self) -> None:
        """Back to the host's time: no offset, not frozen."""
        with self._lock:
            self._offset = timedelta()
            self._frozen = None

    def set_offset(self, offset: timedelta) -> None:
        """Run the org's clock `offset` ahead of the host's (behind when negative)."""
        with self._lock:
            self._offset = offset

    def freeze(self, frozen: bool) -> None:
        """Stop the clock at the current moment (True) or let it run with the host's again."""
        with self._lock:
            if not frozen:
                self._frozen = None
            elif self._frozen is None:
                self._frozen = datetime.now(UTC)

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None


def format_datetime(moment: datetime) -> str:
    """Salesforce's datetime wire format: `2024-01-31T12:00:00.000+0000`, always UTC.

    Whole seconds, as Salesforce stores datetimes: the fraction is dropped (truncated, not
    rounded), so audit fields, datetime values written through the API and SOQL datetime
    literals all end in `.000+0000`, and records changed within one second share a stamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def http_date(moment: datetime) -> str:
    """An HTTP `Date` header value (RFC 7231, whole seconds, GMT)."""
    return format_datetime_rfc(moment.astimezone(UTC), usegmt=True)


def parse_datetime(text: str) -> datetime:
    """Parse Salesforce and ISO 8601 datetimes (`Z`, `+0000`, `+00:00`); naive means UTC."""
    cleaned = text.strip().replace("Z", "+00:00")
    if len(cleaned) >= 5 and cleaned[-5] in "+-" and cleaned[-3] != ":":
        cleaned = cleaned[:-2] + ":" + cleaned[-2:]
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
