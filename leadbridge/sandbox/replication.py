"""The Get Updated and Get Deleted replication resources, with Salesforce's window rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .clock import format_datetime, parse_datetime
from .exceptions import SalesforceError
from .org import Org
from .storage import quote

UPDATED_WINDOW = timedelta(days=30)
DELETED_WINDOW = timedelta(days=15)
MAX_IDS = 600_000


def _window(
    org: Org, start_text: str | None, end_text: str | None, history: timedelta
) -> tuple[datetime, datetime]:
    if not start_text or not end_text:
        raise SalesforceError("MISSING_ARGUMENT", "Both start and end must be specified", fields=[])
    try:
        start = parse_datetime(start_text).replace(second=0, microsecond=0)
        end = parse_datetime(end_text).replace(second=0, microsecond=0)
    except ValueError:
        raise SalesforceError(
            "INVALID_REPLICATION_DATE", "start and end must be ISO 8601 datetimes"
        ) from None
    now = org.now()
    if start >= end:
        raise SalesforceError(
            "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate"
        )
    if start < now - history:
        raise SalesforceError(
            "INVALID_REPLICATION_DATE",
            f"startDate cannot be more than {history.days} days ago",
        )
    return start, min(end, now.replace(second=0, microsecond=0))


def updated(
    org: Org, object_name: str, start_text: str | None, end_text: str | None
) -> dict[str, Any]:
    obj = org.object(object_name)
    start, end = _window(org, start_text, end_text, UPDATED_WINDOW)
    with org.db.lock:
        rows = org.db.conn.execute(
            f'SELECT "Id" FROM {quote(obj.name)} WHERE "SystemModstamp" >= ? AND '
            '"SystemModstamp" < ? AND "IsDeleted" = 0 ORDER BY "SystemModstamp" LIMIT ?',
            (format_datetime(start), format_datetime(end), MAX_IDS + 1),
        ).fetchall()
    if len(rows) > MAX_IDS:
        raise SalesforceError("EXCEEDED_ID_LIMIT", "record limit reached. narrow the date range")
    return {"ids": [str(row[0]) for row in rows], "latestDateCovered": format_datetime(end)}


def deleted(
    org: Org, object_name: str, start_text: str | None, end_text: str | None
) -> dict[str, Any]:
    obj = org.object(object_name)
    start, end = _window(org, start_text, end_text, DELETED_WINDOW)
    with org.db.lock:
        rows = org.db.conn.execute(
            "SELECT record_id, deleted_date FROM _recycle_bin WHERE object_name = ? AND "
            "deleted_date >= ? AND deleted_date < ? ORDER BY deleted_date LIMIT ?",
            (obj.name, format_datetime(start), format_datetime(end), MAX_IDS + 1),
        ).fetchall()
        purged = org.db.get_meta("recycle_bin_purged") or org.created
    if len(rows) > MAX_IDS:
        raise SalesforceError("EXCEEDED_ID_LIMIT", "record limit reached. narrow the date range")
    earliest = max(parse_datetime(purged), org.now() - DELETED_WINDOW)
    return {
        "deletedRecords": [{"id": str(row[0]), "deletedDate": str(row[1])} for row in rows],
        "earliestDateAvailable": format_datetime(earliest.replace(second=0, microsecond=0)),
        "latestDateCovered": format_datetime(end),
    }
