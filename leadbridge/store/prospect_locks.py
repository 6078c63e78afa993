"""Locking a prospect's row for the rest of a transaction.

Decisions such as "assign only if unassigned" read the prospect and then write it. On
PostgreSQL, two transactions could both read "unassigned" and the second would silently
reassign; locking the row first (`SELECT … FOR UPDATE`) makes the second wait and then read
the first one's assignment. SQLite's writers are serialised already (BEGIN IMMEDIATE), and
SQLAlchemy leaves FOR UPDATE out there.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.store.chunks import key_chunks, one_of
from leadbridge.store.models import ProspectRow


def lock_prospect(session: Session, prospect_id: int) -> None:
    """Hold the prospect's row until the transaction ends (NotFoundError if none)."""
    query = select(ProspectRow.id).where(ProspectRow.id == prospect_id).with_for_update()
    if session.execute(query).scalar_one_or_none() is None:
        raise NotFoundError(f"no prospect with id {prospect_id}")


def lock_prospects(session: Session, prospect_ids: Iterable[int]) -> None:
    """Hold these prospects' rows until the transaction ends, taken in id order (so two
    transactions locking overlapping batches cannot deadlock); unknown ids are ignored."""
    if session.get_bind().dialect.name == "sqlite":
        return  # writers are serialised: nothing to take
    for chunk in key_chunks(session, sorted(set(prospect_ids))):
        query = (
            select(ProspectRow.id)
            .where(one_of(session, ProspectRow.id, chunk))
            .order_by(ProspectRow.id)
            .with_for_update()
        )
        session.execute(query).all()
