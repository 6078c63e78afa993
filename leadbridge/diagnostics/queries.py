"""Reads the diagnostics need that the store's repositories don't offer (yet).

Read-only: errors newest first or by id, a prospect's pending pushes, prospects' emails, and
a recycled prospect by email. Everything returns the store's frozen snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key
from leadbridge.store.chunks import chunked
from leadbridge.store.models import RECYCLED, OutboxRow, ProspectRow, SyncErrorRow
from leadbridge.store.outbox import PUSH, OutboxItem, outbox_snapshot
from leadbridge.store.sync_errors import SyncError, sync_error_snapshot


def newest_open_errors(
    session: Session, *, limit: int, codes: Collection[str] | None = None
) -> list[SyncError]:
    """Unresolved errors, newest first; only those with one of `codes` when given."""
    query = select(SyncErrorRow).where(SyncErrorRow.resolved_at.is_(None))
    if codes is not None:
        query = query.where(SyncErrorRow.error_code.in_(sorted(codes)))
    query = query.order_by(SyncErrorRow.last_seen_at.desc(), SyncErrorRow.id.desc())
    return [sync_error_snapshot(row) for row in session.scalars(query.limit(limit))]


def error_by_id(session: Session, error_id: int) -> SyncError | None:
    row = session.get(SyncErrorRow, error_id)
    return None if row is None else sync_error_snapshot(row)


def open_errors_of(session: Session, prospect_id: int) -> list[SyncError]:
    query = select(SyncErrorRow).where(
        SyncErrorRow.prospect_id == prospect_id, SyncErrorRow.resolved_at.is_(None)
    )
    return [sync_error_snapshot(row) for row in session.scalars(query.order_by(SyncErrorRow.id))]


def pending_pushes(session: Session, prospect_ids: Sequence[int]) -> dict[int, list[OutboxItem]]:
    """Unfinished "push" outbox items by prospect, soonest due first."""
    found: dict[int, list[OutboxItem]] = defaultdict(list)
    for chunk in chunked(sorted(set(prospect_ids))):
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.kind == PUSH,
                OutboxRow.done_at.is_(None),
                OutboxRow.prospect_id.in_(chunk),
            )
            .order_by(OutboxRow.available_at, OutboxRow.id)
        )
        for row in session.scalars(query):
            assert row.prospect_id is not None
            found[row.prospect_id].append(outbox_snapshot(row))
    return dict(found)


def prospect_emails(session: Session, prospect_ids: Sequence[int]) -> dict[int, str]:
    emails: dict[int, str] = {}
    for chunk in chunked(sorted(set(prospect_ids))):
        query = select(ProspectRow.id, ProspectRow.email).where(ProspectRow.id.in_(chunk))
        for prospect_id, email in session.execute(query):
            emails[prospect_id] = email
    return emails


def recycled_prospect_id(session: Session, email: str) -> int | None:
    """The most recent prospect in the recycle bin with this email (any case)."""
    query = (
        select(ProspectRow.id)
        .where(ProspectRow.email_key == email_key(email), RECYCLED)
        .order_by(ProspectRow.id.desc())
        .limit(1)
    )
    return session.scalar(query)
