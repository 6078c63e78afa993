"""The settings audit trail: who changed which setting (connector, field mapping, user …),
when, from what to what. Secret values are never written: the change reads "changed"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from leadbridge.errors import InputError
from leadbridge.store.models import SettingsChangeRow

# Fields whose values are secrets wherever they appear: only the fact of a change is kept.
SECRET_FIELDS = frozenset(
    {"password", "client_secret", "security_token", "private_key", "token", "api_key"}
)
CHANGED = "changed"
MAX_PAGE = 1000
_MAX_VALUE = 2000


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


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)[:_MAX_VALUE]


class SettingsChangeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        *,
        at: datetime,
        actor: str,
        area: str,
        subject: str,
        field: str,
        old: object,
        new: object,
        secret: bool = False,
    ) -> None:
        """One change; a secret (or a field named like one) is written as "changed"."""
        if secret or field in SECRET_FIELDS:
            old, new = None, CHANGED
        self.session.add(
            SettingsChangeRow(
                at=at,
                actor=actor[:255],
                area=area[:40],
                subject=subject[:255],
                field=field[:100],
                old_value=_text(old),
                new_value=_text(new),
            )
        )
        self.session.flush()

    def recent(
        self, area: str | None = None, *, limit: int = 50, before_id: int | None = None
    ) -> list[SettingsChange]:
        """The newest changes first (of one `area` when given); page with `before_id`."""
        return self.page(SettingsFilter(area=area), limit, before_id=before_id)

    def page(
        self, flt: SettingsFilter, limit: int, *, before_id: int | None = None
    ) -> list[SettingsChange]:
        """Up to `limit` changes matching `flt`, newest first (by id), older than `before_id`."""
        if not 1 <= limit <= MAX_PAGE:
            raise InputError(f"must be between 1 and {MAX_PAGE}", item="limit")
        query = select(SettingsChangeRow).where(*_conditions(flt))
        if before_id is not None:
            query = query.where(SettingsChangeRow.id < before_id)
        rows = self.session.scalars(query.order_by(SettingsChangeRow.id.desc()).limit(limit))
        return [
            SettingsChange(
                r.id, r.at, r.actor, r.area, r.subject, r.field, r.old_value, r.new_value
            )
            for r in rows
        ]

    def areas(self) -> list[str]:
        """The areas that have changes, for a filter's choices."""
        query = select(SettingsChangeRow.area).distinct()
        return sorted(area for area in self.session.scalars(query) if area)


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
