"""A pull never overlaps a push wave (PostgreSQL workers).

With workers, pulls and push waves run in different processes. A pull that read a page of
Salesforce records before a push wrote some of them, and applied it after, would take the
old values it read for changes made in Salesforce since the push (the push has already
recorded what it sent) and overwrite the prospects' newer values: a lost change. The single
process loop never overlaps them (pull, then push); workers keep that order with a
PostgreSQL advisory lock: each push wave holds it shared (waves run side by side), a pull
or intake run holds it exclusive. Session-level locks on a connection of their own: a
killed process's lock goes with its connection. On SQLite nothing is needed (one process).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from leadbridge.store.database import Database

LOCK_KEY = 0x6C62_7075  # "lbpu": leadbridge's pull/push exclusion


@contextmanager
def pulling(db: Database) -> Iterator[None]:
    """Held while a pull (or the intake) reads and applies Salesforce's records."""
    with _advisory(db, shared=False):
        yield


@contextmanager
def pushing(db: Database) -> Iterator[None]:
    """Held while a push wave writes to Salesforce and records what it sent."""
    with _advisory(db, shared=True):
        yield


@contextmanager
def _advisory(db: Database, *, shared: bool) -> Iterator[None]:
    if db.backend != "postgresql":
        yield
        return
    suffix = "_shared" if shared else ""
    with db.engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_lock{suffix}(:key)"), {"key": LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock{suffix}(:key)"), {"key": LOCK_KEY})
            connection.commit()
