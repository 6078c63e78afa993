"""Sync cursors: small named values the sync keeps between runs (an object's pull position,
the org's queues as JSON), one row per (object, kind)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from leadbridge.store.models import SyncCursorRow


def read_cursor(session: Session, object_name: str, kind: str) -> str | None:
    row = session.get(SyncCursorRow, (object_name, kind))
    return None if row is None else row.value


def write_cursor(
    session: Session, object_name: str, kind: str, value: str, at: datetime | None = None
) -> None:
    row = session.get(SyncCursorRow, (object_name, kind)) or SyncCursorRow(
        object_name=object_name, kind=kind
    )
    row.value, row.updated_at = value, at
    session.add(row)
    session.flush()


def clear_cursor(session: Session, object_name: str, kind: str) -> None:
    row = session.get(SyncCursorRow, (object_name, kind))
    if row is not None:
        session.delete(row)
        session.flush()
