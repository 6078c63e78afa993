"""Reading the settings audit trail (`settings_changes`) for the console's Audit log page:
filtered, newest first, a keyset page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from leadbridge.errors import InputError
from leadbridge.store.models import SettingsChangeRow

MAX_CHANGES_PAGE = 1000


@dataclass(frozen=True)
class SettingsChange:
    id: int
    at: datetime
    actor: str
    area: str
    subject: str
    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class SettingsFilter:
    actor: str | None = None
    area: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _conditions(flt: SettingsFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.actor:
        where.append(SettingsChangeRow.actor == flt.actor)
    if flt.area:
        where.append(SettingsChangeRow.area == flt.area)
    if flt.since is not None:
        where.append(SettingsChangeRow.at >= flt.since)
    if flt.until is not None:
        where.append(SettingsChangeRow.at < flt.until)
    return where


def settings_changes_page(
    session: Session, flt: SettingsFilter, limit: int, *, before_id: int | None = None
) -> list[SettingsChange]:
    """Up to `limit` changes newest first (by id), older than `before_id`."""
    if not 1 <= limit <= MAX_CHANGES_PAGE:
        raise InputError(f"must be between 1 and {MAX_CHANGES_PAGE}", item="limit")
    query = select(SettingsChangeRow).where(*_conditions(flt))
    if before_id is not None:
        query = query.where(SettingsChangeRow.id < before_id)
    rows = session.scalars(query.order_by(SettingsChangeRow.id.desc()).limit(limit))
    return [
        SettingsChange(
            row.id,
            row.at,
            row.actor,
            row.area,
            row.subject,
            row.field,
            row.old_value,
            row.new_value,
        )
        for row in rows
    ]


def settings_areas(session: Session) -> list[str]:
    query = select(SettingsChangeRow.area).distinct()
    return sorted(area for area in session.scalars(query) if area)
