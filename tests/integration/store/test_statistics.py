"""Planner statistics after a burst (store/statistics.py): on PostgreSQL a table that grew by
more than autovacuum's threshold is analyzed, so the push's claim reads the prospect index
instead of walking every pending item; on SQLite nothing is done."""

from __future__ import annotations

import time

from sqlalchemy import text

from leadbridge.domain.fields import Origin
from leadbridge.store import Database, OutboxRepository, ProspectRepository
from leadbridge.store.outbox import PUSH
from leadbridge.store.statistics import analyze_stale_tables
from tests.integration.store.support import FakeClock

BURST = 3_000
CLAIM = (
    "EXPLAIN UPDATE outbox SET claimed_by = 'w' WHERE kind = 'push' AND done_at IS NULL"
    " AND prospect_id = ANY(:ids)"
)


def _burst(db: Database, clock: FakeClock) -> list[int]:
    with db.session() as session:
        rows = [{"email": f"s{n}@stats.example.com"} for n in range(BURST)]
        ids = [
            p.id
            for p in ProspectRepository(session, clock).add_many(
                rows, origin=Origin.IMPORT, actor=None
            )
        ]
        OutboxRepository(session, clock).enqueue_many(PUSH, ids, "imported")
    return ids


def _analyzed_after_burst(db: Database) -> list[str]:
    """The counters reach pg_stat_user_tables within a second or so of the commit."""
    deadline = time.monotonic() + 10
    while True:
        analyzed = analyze_stale_tables(db)
        if "outbox" in analyzed or time.monotonic() > deadline:
            return analyzed
        time.sleep(0.2)


def test_a_burst_is_analyzed_once_and_the_claim_reads_the_prospect_index(
    db: Database, clock: FakeClock
) -> None:
    if db.backend != "postgresql":
        _burst(db, clock)
        assert analyze_stale_tables(db) == []
        return
    analyze_stale_tables(db)  # what earlier tests left behind
    ids = _burst(db, clock)
    assert {"outbox", "prospects"} <= set(_analyzed_after_burst(db))
    assert "outbox" not in analyze_stale_tables(db)  # fresh now: not analyzed again
    with db.session(readonly=True) as session:
        plan = "\n".join(session.scalars(text(CLAIM), {"ids": ids[:100]}))
    assert "ix_outbox_prospect_id" in plan, plan
