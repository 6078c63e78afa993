"""The settings audit trail: who changed which setting (connector, field mapping, user …),
when, from what to what. Secret values are never written: the change reads "changed"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.errors import InputError
from leadbridge.store.models import SettingsChangeRow

# Fields whose values are secrets wherever they appear: only the fact of a change is kept.
SECRET_FIELDS = frozenset(
    {"password", "client_secret", "security_token", "private_key", "token", "api_key"}
)
CHANGED = "changed"
MAX_PAGE = 200
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
        if not 1 <= limit <= MAX_PAGE:
            raise InputError(f"must be between 1 and {MAX_PAGE}", item="limit")
        query = select(SettingsChangeRow)
        if area is not None:
            query = query.where(SettingsChangeRow.area == area)
        if before_id is not None:
            query = query.where(SettingsChangeRow.id < before_id)
        rows = self.session.scalars(query.order_by(SettingsChangeRow.id.desc()).limit(limit))
        return [
            SettingsChange(
                r.id, r.at, r.actor, r.area, r.subject, r.field, r.old_value, r.new_value
            )
            for r in rows
        ]
