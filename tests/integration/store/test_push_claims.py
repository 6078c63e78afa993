"""Push claims by prospect (several workers pushing at once), on SQLite and PostgreSQL: every
item of a prospect goes to one worker, another worker never gets that prospect while the
claim lives, and a lapsed or taken claim is noticed (fencing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadbridge.domain.fields import Origin
from leadbridge.store import Database, OutboxRepository, ProspectRepository
from leadbridge.store.models import OutboxRow
from leadbridge.store.outbox import PUSH
from tests.integration.store.support import FakeClock

TTL = timedelta(seconds=30)


def _prospects(db: Database, clock: FakeClock, count: int) -> list[int]:
    """`count` prospects, each with two push items (an edit, then another)."""
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        ids = [
            prospects.add({"email": f"c{n}@claims.example.com"}, origin=Origin.USER, actor="t").id
            for n in range(count)
        ]
        outbox = OutboxRepository(session, clock)
        for pid in ids:
            outbox.enqueue(PUSH, pid, "an edit")
            outbox.enqueue(PUSH, pid, "another edit")
    return ids


def _claim(db: Database, clock: FakeClock, worker: str, limit: int) -> tuple[list[int], list[int]]:
    with db.session() as session:
        return OutboxRepository(session, clock).claim_prospects(PUSH, worker, limit=limit, ttl=TTL)


def _held_by(db: Database, clock: FakeClock, worker: str) -> set[int]:
    with db.session(readonly=True) as session:
        query = select(OutboxRow.prospect_id).where(
            OutboxRow.claimed_by == worker, OutboxRow.done_at.is_(None)
        )
        return {pid for pid in session.scalars(query) if pid is not None}


def _claimed_items(db: Database, worker: str) -> int:
    with db.session(readonly=True) as session:
        query = select(func.count()).where(OutboxRow.claimed_by == worker)
        return int(session.scalar(query) or 0)


def test_each_prospect_goes_whole_to_one_worker(db: Database, clock: FakeClock) -> None:
    ids = _prospects(db, clock, 3)
    first, orphans = _claim(db, clock, "w1", limit=1)  # one due item: its whole prospect
    assert len(first) == 1 and orphans == []
    second, _ = _claim(db, clock, "w2", limit=100)
    assert set(first) | set(second) == set(ids) and not set(first) & set(second)
    assert _held_by(db, clock, "w1") == set(first)
    assert _claimed_items(db, "w1") >= 2  # every item of its prospect, not only the one picked
    assert _claim(db, clock, "w3", limit=100) == ([], [])  # nothing left to anyone


def test_a_lapsed_claim_is_lost_and_taken_over_and_renewal_keeps_it(
    db: Database, clock: FakeClock
) -> None:
    ids = _prospects(db, clock, 2)
    taken, _ = _claim(db, clock, "w1", limit=100)
    assert set(taken) == set(ids)
    with db.session() as session:
        outbox = OutboxRepository(session, clock)
        assert not outbox.claims_lost(PUSH, "w1", ids)
        clock.tick(20)
        assert outbox.extend_claims("w1", TTL) > 0  # the heartbeat
    clock.tick(20)  # 40 s after claiming, 20 s after renewing: still held
    assert _claim(db, clock, "w2", limit=100) == ([], [])
    clock.tick(11)  # lapsed
    with db.session(readonly=True) as session:
        assert OutboxRepository(session, clock).claims_lost(PUSH, "w1", ids)
    taken_over, _ = _claim(db, clock, "w2", limit=100)
    assert set(taken_over) == set(ids)
    with db.session(readonly=True) as session:
        outbox = OutboxRepository(session, clock)
        assert outbox.claims_lost(PUSH, "w1", ids)  # fenced: w2 holds them now
        assert not outbox.claims_lost(PUSH, "w2", ids)
    with db.session() as session:
        OutboxRepository(session, clock).release_claims("w2")
    assert set(_claim(db, clock, "w3", limit=100)[0]) == set(ids)


def test_items_with_no_prospect_are_handed_back_to_be_closed(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        OutboxRepository(session, clock).enqueue(PUSH, None, "orphan")
    taken, orphans = _claim(db, clock, "w1", limit=10)
    assert taken == [] and len(orphans) == 1


@pytest.mark.postgres
def test_postgresql_claimers_of_one_prospect_never_both_get_it(
    db: Database, clock: FakeClock
) -> None:
    if db.backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers instead")
    (pid,) = _prospects(db, clock, 1)
    with db.session() as first_tx:
        first = OutboxRepository(first_tx, clock).claim_prospects(PUSH, "w1", limit=1, ttl=TTL)
        with db.session() as second_tx:  # while the first still holds its locks
            second = OutboxRepository(second_tx, clock).claim_prospects(
                PUSH, "w2", limit=10, ttl=TTL
            )
    assert first[0] == [pid] and second[0] == []
