"""The sandbox's notion of now: real UTC time plus an offset the control plane can move."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as format_datetime_rfc


class OrgClock:
    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()

    def set_offset(self, offset: timedelta) -> None:
        """Run the org's clock `offset` ahead of the host's (behind when negative)."""
        with self._lock:
            self._offset = offset

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset


def format_datetime(moment: datetime) -> str:
    """Salesforce's datetime wire format: `2024-01-31T12:00:00.000+0000`, always UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


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
