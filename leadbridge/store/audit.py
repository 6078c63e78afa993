"""The audit log: every change to a prospect's fields, with who made it and from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store.models import AuditRow

MAX_AUDIT_PAGE = 1000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    prospect_id: int
    field: str
    old_value: str | None
    new_value: str | None
    at: datetime
    origin: Origin
    actor: str | None


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        prospect_id: int,
        field: str,
        old_value: str | None,
        new_value: str | None,
        *,
        at: datetime,
        origin: Origin,
        actor: str | None,
    ) -> None:
        """Add one entry to the current transaction (it commits or rolls back with it)."""
        self.session.add(
            AuditRow(
                prospect_id=prospect_id,
                field=field,
                old_value=old_value,
                new_value=new_value,
                at=at,
                origin=Origin(origin),
                actor=actor,
            )
        )

    def for_prospect(
        self, prospect_id: int, limit: int = 100, *, before_id: int | None = None
    ) -> list[AuditEntry]:
        """Newest first; page with `before_id` (the last entry's id)."""
        if not 1 <= limit <= MAX_AUDIT_PAGE:
            raise InputError(f"must be between 1 and {MAX_AUDIT_PAGE}", item="limit")
        query = select(AuditRow).where(AuditRow.prospect_id == prospect_id)
        if before_id is not None:
            query = query.where(AuditRow.id < before_id)
        rows = self.session.scalars(query.order_by(AuditRow.id.desc()).limit(limit))
        return [entry_of(row) for row in rows]


def entry_of(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id,
        row.prospect_id,
        row.field,
        row.old_value,
        row.new_value,
        row.at,
        row.origin,
        row.actor,
    )
