"""Form posts as received, waiting to be applied (the form intake on PostgreSQL).

A post is one short INSERT; the processor claims pending posts in id order, on PostgreSQL
with FOR UPDATE SKIP LOCKED, so several processes share the work without waiting on each
other. The claim lasts as long as the claiming transaction: a process that dies before
committing releases its rows, still pending."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exc, func, insert, select
from sqlalchemy.orm import Session

from leadbridge.ports import Clock
from leadbridge.store.database import Database, StoreTransientError, describe, is_transient
from leadbridge.store.models import FormPostRow

PENDING, DONE, FAILED = "pending", "done", "failed"
MAX_CLIENT = 64
MAX_ERROR = 1000


def keep_form_post(
    db: Database, clock: Clock, handler_id: int, payload: Mapping[str, Any], client: str | None
) -> int:
    """Keep one post, committed, in a single statement (no transaction around it: the
    public endpoint's hot path, on PostgreSQL); its id. StoreTransientError when the store
    cannot now."""
    if db.backend != "postgresql":
        with db.session() as session:
            return FormPostRepository(session, clock).add(handler_id, payload, client)
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return int(connection.execute(_insert(clock, handler_id, payload, client)).scalar_one())
    except exc.DBAPIError as error:
        if is_transient(error):
            raise StoreTransientError(describe(error)) from error
        raise


def _insert(clock: Clock, handler_id: int, payload: Mapping[str, Any], client: str | None) -> Any:
    return (
        insert(FormPostRow)
        .values(
            handler_id=handler_id,
            received_at=clock.now(),
            payload=dict(payload),
            client=None if client is None else client[:MAX_CLIENT],
            status=PENDING,
            attempts=0,
        )
        .returning(FormPostRow.id)
    )


class FormPostRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(self, handler_id: int, payload: Mapping[str, Any], client: str | None) -> int:
        """Keep a post to handler `handler_id` as sent, in this transaction; its id."""
        statement = _insert(self.clock, handler_id, payload, client)
        return int(self.session.execute(statement).scalar_one())

    def claim(self, limit: int) -> list[FormPostRow]:
        """Up to `limit` pending posts, oldest first, locked until this transaction ends
        (posts another transaction holds are skipped, not waited for)."""
        query = (
            select(FormPostRow)
            .where(FormPostRow.status == PENDING)
            .order_by(FormPostRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def counts(self) -> dict[str, int]:
        """How many posts are pending, done and failed."""
        found = {PENDING: 0, DONE: 0, FAILED: 0}
        query = select(FormPostRow.status, func.count()).group_by(FormPostRow.status)
        for status, count in self.session.execute(query):
            found[str(status)] = int(count)
        return found
