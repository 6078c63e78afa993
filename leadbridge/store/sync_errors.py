"""Sync errors: what Salesforce refused, kept until fixed (Pardot's "Sync Errors" page)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from leadbridge.errors import InputError
from leadbridge.ports import Clock
from leadbridge.store.chunks import chunked, one_of
from leadbridge.store.models import SyncErrorRow

MAX_ERRORS_PAGE = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class SyncError:
    id: int
    prospect_id: int | None
    crm_object: str | None
    crm_id: str | None
    error_code: str
    message: str
    fields: tuple[str, ...]
    attempts: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


def sync_error_snapshot(row: SyncErrorRow) -> SyncError:
    return SyncError(
        row.id,
        row.prospect_id,
        row.crm_object,
        row.crm_id,
        row.error_code,
        row.message,
        tuple(row.fields),
        row.attempts,
        row.first_seen_at,
        row.last_seen_at,
        row.resolved_at,
    )


class SyncErrorRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def record(
        self,
        prospect_id: int | None,
        *,
        error_code: str,
        message: str,
        crm_object: str | None = None,
        crm_id: str | None = None,
        fields: Sequence[str] = (),
    ) -> SyncError:
        """Record an error; the same open error (prospect, object, code) seen again counts
        another attempt instead of adding a row, so retries don't flood the list."""
        now = self.clock.now()
        row = self.session.scalar(
            select(SyncErrorRow).where(
                SyncErrorRow.resolved_at.is_(None),
                _same(SyncErrorRow.prospect_id, prospect_id),
                _same(SyncErrorRow.crm_object, crm_object),
                SyncErrorRow.error_code == error_code,
            )
        )
        if row is None:
            row = SyncErrorRow(
                prospect_id=prospect_id,
                crm_object=crm_object,
                crm_id=crm_id,
                error_code=error_code,
                message=message,
                fields=list(fields),
                attempts=1,
                first_seen_at=now,
                last_seen_at=now,
            )
            self.session.add(row)
        else:
            row.attempts += 1
            row.last_seen_at, row.message, row.fields = now, message, list(fields)
            row.crm_id = crm_id or row.crm_id
        self.session.flush()
        return sync_error_snapshot(row)

    def open(self, limit: int = 100, *, after_id: int | None = None) -> list[SyncError]:
        """Unresolved errors, oldest first; page with `after_id`."""
        if not 1 <= limit <= MAX_ERRORS_PAGE:
            raise InputError(f"must be between 1 and {MAX_ERRORS_PAGE}", item="limit")
        query = select(SyncErrorRow).where(SyncErrorRow.resolved_at.is_(None))
        if after_id is not None:
            query = query.where(SyncErrorRow.id > after_id)
        rows = self.session.scalars(query.order_by(SyncErrorRow.id).limit(limit))
        return [sync_error_snapshot(row) for row in rows]

    def for_prospect(self, prospect_id: int) -> list[SyncError]:
        query = select(SyncErrorRow).where(SyncErrorRow.prospect_id == prospect_id)
        return [
            sync_error_snapshot(row)
            for row in self.session.scalars(query.order_by(SyncErrorRow.id))
        ]

    def counts_by_code(self) -> dict[str, int]:
        """Open errors per error code, for a summary."""
        query = (
            select(SyncErrorRow.error_code, func.count())
            .where(SyncErrorRow.resolved_at.is_(None))
            .group_by(SyncErrorRow.error_code)
        )
        return dict(self.session.execute(query).all())

    def resolve(self, ids: Sequence[int]) -> None:
        now = self.clock.now()
        for chunk in chunked(ids):
            self.session.execute(
                update(SyncErrorRow)
                .where(
                    one_of(self.session, SyncErrorRow.id, chunk), SyncErrorRow.resolved_at.is_(None)
                )
                .values(resolved_at=now)
            )

    def resolve_for_prospect(self, prospect_id: int) -> None:
        """Resolve a prospect's open errors (after it synced successfully)."""
        self.session.execute(
            update(SyncErrorRow)
            .where(SyncErrorRow.prospect_id == prospect_id, SyncErrorRow.resolved_at.is_(None))
            .values(resolved_at=self.clock.now())
        )


def _same(column: InstrumentedAttribute[T], value: T | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value
