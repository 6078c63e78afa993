"""Leases: at most one holder of a named job (say "sync:default") at a time, across processes
and machines sharing the database.

    leases = LeaseRepository(session, clock)
    lease = leases.acquire("sync:default", token, ttl=timedelta(seconds=60))  # None: held
    leases.heartbeat("sync:default", token, ttl=...)   # False: lost it, stop writing
    leases.release("sync:default", token)

Each call is one statement, atomic on both backends: SQLite's writers are serialised by
BEGIN IMMEDIATE; on PostgreSQL a conditional UPDATE re-checks its WHERE clause after waiting
for a concurrent writer of the row, and INSERT … ON CONFLICT DO NOTHING lets only one
newcomer in. A lease is taken over only once it has expired, and renewed only by its holder
while it has not expired: a holder that missed its heartbeats must assume someone else runs.
Times come from the clock port, so machines sharing a database need synchronised clocks
(the lease's ttl is the margin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.orm import Session

from leadbridge.errors import InputError
from leadbridge.ports import Clock
from leadbridge.store.dialect_insert import dialect_insert
from leadbridge.store.models import SyncLeaseRow


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


def _snapshot(row: SyncLeaseRow) -> Lease:
    return Lease(
        row.name, row.holder, row.host, row.pid, row.acquired_at, row.heartbeat_at, row.expires_at
    )


class LeaseRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def acquire(
        self, name: str, holder: str, *, ttl: timedelta, host: str, pid: int
    ) -> Lease | None:
        """Take the lease `name` for `holder` (a token unique to this runner) for `ttl`.

        Succeeds when nobody holds it, when it has expired (a take-over) or when `holder`
        already holds it (then it is renewed). Returns the lease, or None when someone else
        holds it (see `current`)."""
        if ttl <= timedelta():
            raise InputError("must be positive", item="ttl")
        values = self._values(holder, ttl=ttl, host=host, pid=pid)
        now = values["acquired_at"]
        taken = self._execute(
            update(SyncLeaseRow)
            .where(
                SyncLeaseRow.name == name,
                (SyncLeaseRow.expires_at <= now) | (SyncLeaseRow.holder == holder),
            )
            .values(**values)
        )
        if not taken:
            taken = self._insert_if_absent({"name": name, **values})
        if not taken:
            return None
        return Lease(name=name, **values)

    def _values(self, holder: str, *, ttl: timedelta, host: str, pid: int) -> dict[str, Any]:
        """A lease's columns for a holder taking it now."""
        now = self.clock.now()
        return {
            "holder": holder,
            "host": host[:255],
            "pid": pid,
            "acquired_at": now,
            "heartbeat_at": now,
            "expires_at": now + ttl,
        }

    def heartbeat(self, name: str, holder: str, *, ttl: timedelta) -> bool:
        """Extend the lease by `ttl` from now, only while `holder` still holds it unexpired."""
        now = self.clock.now()
        return self._execute(
            update(SyncLeaseRow)
            .where(
                SyncLeaseRow.name == name,
                SyncLeaseRow.holder == holder,
                SyncLeaseRow.expires_at > now,
            )
            .values(heartbeat_at=now, expires_at=now + ttl)
        )

    def holds(self, name: str, holder: str) -> bool:
        """Whether `holder` holds the lease now (not expired): checked before each write."""
        lease = self.current(name)
        return lease is not None and lease.holder == holder

    def current(self, name: str) -> Lease | None:
        """The unexpired lease `name` (who holds it, since when), or None."""
        row = self.session.get(SyncLeaseRow, name, populate_existing=True)
        if row is None or row.expires_at <= self.clock.now():
            return None
        return _snapshot(row)

    def release(self, name: str, holder: str) -> bool:
        """Give the lease up (only `holder` can); False when it was no longer held."""
        return self._execute(
            delete(SyncLeaseRow).where(SyncLeaseRow.name == name, SyncLeaseRow.holder == holder)
        )

    def _insert_if_absent(self, values: dict[str, object]) -> bool:
        statement = (
            dialect_insert(self.session, SyncLeaseRow)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(SyncLeaseRow.name)
        )
        # RETURNING, not rowcount: psycopg reports no rowcount for INSERT … ON CONFLICT.
        return self.session.execute(statement).scalar() is not None

    def _execute(self, statement: object) -> bool:
        result = self.session.execute(statement)  # type: ignore[call-overload]
        assert isinstance(result, CursorResult)
        return bool(result.rowcount == 1)
