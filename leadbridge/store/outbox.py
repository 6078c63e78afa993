"""The outbox: work that must happen because of a change (e.g. push a prospect to Salesforce).

Items are written in the same transaction as the change that caused them, so a change is
never committed without its follow-up work, nor the work without the change. Workers read
`pending` items, do them, and `mark_done` the ids they read: an item enqueued meanwhile
stays pending, so no change is lost.

Several workers can share the work with `claim`: each claims a page of due items for a while
(`claimed_by`, `claimed_until`), and the others skip them until the claim lapses. On
PostgreSQL the page is read with `FOR UPDATE SKIP LOCKED`, so workers never wait on each
other's rows; on SQLite the writer lock (BEGIN IMMEDIATE) already serialises claims.

`claim_prospects` claims by prospect, for pushes run by several workers at once: every
unfinished item of a prospect goes to one claimer, and a prospect another worker holds a live
claim on is left alone, so two workers never push the same prospect. On PostgreSQL the
prospects' rows are locked (SKIP LOCKED) while claiming, which serialises two claimers that
picked items of one prospect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Select, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.bulk_rows import insert_rows
from leadbridge.store.chunks import chunked, one_of
from leadbridge.store.models import OutboxRow, ProspectRow

PUSH = "push"
MAX_REASON = 255
MAX_PENDING_PAGE = 10_000


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    prospect_id: int | None
    reason: str
    created_at: datetime
    attempts: int
    available_at: datetime
    done_at: datetime | None
    last_error: str | None


class _ItemFields(Protocol):
    """An ORM row or a Core row of `ITEM_COLUMNS`: what an OutboxItem is made of."""

    id: int
    kind: str
    prospect_id: int | None
    reason: str
    created_at: datetime
    attempts: int
    available_at: datetime
    done_at: datetime | None
    last_error: str | None


def outbox_snapshot(row: _ItemFields) -> OutboxItem:
    return OutboxItem(
        row.id,
        row.kind,
        row.prospect_id,
        row.reason,
        row.created_at,
        row.attempts,
        row.available_at,
        row.done_at,
        row.last_error,
    )


OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
# The columns of an OutboxItem: read as plain rows (no ORM objects to build and track).
ITEM_COLUMNS = (
    OUTBOX.c.id,
    OUTBOX.c.kind,
    OUTBOX.c.prospect_id,
    OUTBOX.c.reason,
    OUTBOX.c.created_at,
    OUTBOX.c.attempts,
    OUTBOX.c.available_at,
    OUTBOX.c.done_at,
    OUTBOX.c.last_error,
)
# Bulk UPDATEs by condition: no ORM objects to synchronise (none are loaded for them).
UNSYNCED = {"synchronize_session": False}


class OutboxRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def enqueue(
        self, kind: str, prospect_id: int | None, reason: str, *, delay: timedelta | None = None
    ) -> OutboxItem:
        now = self.clock.now()
        row = OutboxRow(
            kind=kind,
            prospect_id=prospect_id,
            reason=reason[:MAX_REASON],
            created_at=now,
            attempts=0,
            available_at=now + (delay or timedelta()),
        )
        self.session.add(row)
        self.session.flush()
        return outbox_snapshot(row)

    def enqueue_many(self, kind: str, prospect_ids: Sequence[int], reason: str) -> None:
        """`enqueue` for each prospect, in one statement."""
        if not prospect_ids:
            return
        now = self.clock.now()
        insert_rows(
            self.session.connection(),
            OUTBOX,
            [
                {
                    "kind": kind,
                    "prospect_id": pid,
                    "reason": reason[:MAX_REASON],
                    "created_at": now,
                    "attempts": 0,
                    "available_at": now,
                }
                for pid in prospect_ids
            ],
        )

    def enqueue_unless_pending(
        self, kind: str, prospect_ids: Sequence[int], reason: str
    ) -> list[int]:
        """Enqueue `kind` for each prospect that has no unfinished item of that kind yet
        (one is enough: a push sends the prospect's current values); the ids enqueued."""
        waiting: set[int] = set()
        for chunk in chunked(list(dict.fromkeys(prospect_ids))):
            query = select(OutboxRow.prospect_id).where(
                OutboxRow.kind == kind,
                OutboxRow.done_at.is_(None),
                one_of(self.session, OutboxRow.prospect_id, chunk),
            )
            waiting.update(pid for pid in self.session.scalars(query) if pid is not None)
        missing = [pid for pid in dict.fromkeys(prospect_ids) if pid not in waiting]
        now = self.clock.now()
        rows = [
            OutboxRow(
                kind=kind,
                prospect_id=pid,
                reason=reason[:MAX_REASON],
                created_at=now,
                attempts=0,
                available_at=now,
            )
            for pid in missing
        ]
        self.session.add_all(rows)
        self.session.flush()
        return missing

    def pending(self, kind: str, limit: int = 200) -> list[OutboxItem]:
        """Items of `kind` not done, due now and not claimed by a worker, oldest due first."""
        query = self._due(kind, limit).with_only_columns(*ITEM_COLUMNS)
        return [outbox_snapshot(row) for row in self.session.execute(query)]

    def claim(
        self, kind: str, worker: str, *, limit: int = 200, ttl: timedelta
    ) -> list[OutboxItem]:
        """Claim up to `limit` due items of `kind` for `worker` for `ttl`; other workers'
        `claim` and `pending` skip them until then (or until `mark_done`/`unclaim`)."""
        now = self.clock.now()
        query = self._due(kind, limit)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(self.session.scalars(query))
        for row in rows:
            row.claimed_by = worker
            row.claimed_until = now + ttl
        self.session.flush()
        return [outbox_snapshot(row) for row in rows]

    def claim_prospects(
        self, kind: str, worker: str, *, limit: int = 200, ttl: timedelta
    ) -> tuple[list[int], list[int]]:
        """Claim for `worker`, for `ttl`, every unfinished item of `kind` of up to `limit`
        prospects with a due item that no other worker holds a live claim on. Returns the
        prospects claimed and the due items that have no prospect (nothing to push)."""
        now = self.clock.now()
        postgres = self.session.get_bind().dialect.name == "postgresql"
        query = self._due(kind, limit).with_only_columns(OUTBOX.c.id, OUTBOX.c.prospect_id)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows = self.session.execute(query).all()
        orphans = [row.id for row in rows if row.prospect_id is None]
        picked = list(dict.fromkeys(row.prospect_id for row in rows if row.prospect_id))
        if postgres and picked:
            locked: set[int] = set()
            for chunk in chunked(picked):
                lock = (
                    select(ProspectRow.id)
                    .where(one_of(self.session, ProspectRow.id, chunk))
                    .with_for_update(skip_locked=True)
                )
                locked.update(self.session.scalars(lock))
            picked = [pid for pid in picked if pid in locked]
        busy: set[int] = set()
        for chunk in chunked(picked):
            held = select(OutboxRow.prospect_id).where(
                OutboxRow.kind == kind,
                OutboxRow.done_at.is_(None),
                one_of(self.session, OutboxRow.prospect_id, chunk),
                OutboxRow.claimed_by != worker,
                OutboxRow.claimed_until > now,
            )
            busy.update(pid for pid in self.session.scalars(held) if pid is not None)
        taken = [pid for pid in picked if pid not in busy]
        for chunk in chunked(taken):
            self.session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.kind == kind,
                    OutboxRow.done_at.is_(None),
                    one_of(self.session, OutboxRow.prospect_id, chunk),
                )
                .values(claimed_by=worker, claimed_until=now + ttl)
                .execution_options(**UNSYNCED)
            )
        return taken, orphans

    def extend_claims(self, worker: str, ttl: timedelta) -> int:
        """Renew `worker`'s live claims for `ttl` from now; how many items it still holds."""
        now = self.clock.now()
        result = self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.claimed_by == worker,
                OutboxRow.done_at.is_(None),
                OutboxRow.claimed_until > now,
            )
            .values(claimed_until=now + ttl)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def claims_lost(self, kind: str, worker: str, prospect_ids: Sequence[int]) -> bool:
        """Whether `worker` may no longer push `prospect_ids`: one of its claims lapsed, or
        another worker holds a live claim on one of those prospects."""
        now = self.clock.now()
        lapsed = select(func.count()).where(
            OutboxRow.claimed_by == worker,
            OutboxRow.done_at.is_(None),
            OutboxRow.claimed_until <= now,
        )
        if self.session.scalar(lapsed):
            return True
        for chunk in chunked(prospect_ids):
            taken = select(func.count()).where(
                OutboxRow.kind == kind,
                OutboxRow.done_at.is_(None),
                one_of(self.session, OutboxRow.prospect_id, chunk),
                and_(OutboxRow.claimed_by != worker, OutboxRow.claimed_until > now),
            )
            if self.session.scalar(taken):
                return True
        return False

    def unclaim(self, ids: Sequence[int], worker: str) -> None:
        """Give back `worker`'s claims on `ids` (left undone: due again for anyone)."""
        for chunk in chunked(ids):
            self.session.execute(
                update(OutboxRow)
                .where(one_of(self.session, OutboxRow.id, chunk), OutboxRow.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    def _due(self, kind: str, limit: int) -> Select[OutboxRow]:
        if not 1 <= limit <= MAX_PENDING_PAGE:
            raise InputError(f"must be between 1 and {MAX_PENDING_PAGE}", item="limit")
        now = self.clock.now()
        return (
            select(OutboxRow)
            .where(
                OutboxRow.kind == kind,
                OutboxRow.done_at.is_(None),
                OutboxRow.available_at <= now,
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
            )
            .order_by(OutboxRow.available_at, OutboxRow.id)
            .limit(limit)
        )

    def release_claims(self, worker: str) -> None:
        """Give back every claim `worker` still holds (its job ended)."""
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None)
        )

    def count_pending(self, kind: str) -> int:
        query = select(func.count()).where(OutboxRow.kind == kind, OutboxRow.done_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def waiting_on_retry(self, kind: str) -> tuple[int, datetime | None]:
        """Prospects whose item failed and waits out its retry backoff: how many, and when
        the soonest is due again."""
        query = select(
            func.count(func.distinct(OutboxRow.prospect_id)), func.min(OutboxRow.available_at)
        ).where(
            OutboxRow.kind == kind,
            OutboxRow.done_at.is_(None),
            OutboxRow.attempts > 0,
            OutboxRow.available_at > self.clock.now(),
        )
        count, soonest = self.session.execute(query).one()
        return int(count or 0), soonest

    def mark_done(self, ids: Sequence[int]) -> None:
        now = self.clock.now()
        for chunk in chunked(ids):
            self.session.execute(
                update(OutboxRow)
                .where(one_of(self.session, OutboxRow.id, chunk))
                .values(done_at=now, claimed_by=None, claimed_until=None)
            )

    def retry_later(self, item_id: int, error: str, delay: timedelta) -> OutboxItem:
        """Count a failed attempt and make the item due again after `delay`."""
        row = self.session.get(OutboxRow, item_id)
        if row is None:
            raise NotFoundError(f"no outbox item {item_id}")
        row.attempts += 1
        row.last_error = error
        row.available_at = self.clock.now() + delay
        row.claimed_by = row.claimed_until = None
        self.session.flush()
        return outbox_snapshot(row)
