"""The sync lease and outbox claims, on SQLite and PostgreSQL: one holder at a time, taken
over only once expired, renewed only by its holder; fencing once the lease is lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from leadbridge.store import Database, OutboxRepository
from leadbridge.store.leases import LeaseRepository
from leadbridge.sync.runner import LeaseHeldError, LeaseLostError, SyncLease
from tests.integration.store.support import FakeClock

TTL = timedelta(seconds=60)
NAME = "sync:salesforce"


def _acquire(db: Database, clock: FakeClock, holder: str, pid: int = 1) -> bool:
    with db.session() as session:
        leases = LeaseRepository(session, clock)
        return leases.acquire(NAME, holder, ttl=TTL, host="host-a", pid=pid) is not None


def test_one_holder_until_the_lease_expires_then_taken_over(db: Database, clock: FakeClock) -> None:
    assert _acquire(db, clock, "first", pid=11)
    clock.tick(30)
    assert not _acquire(db, clock, "second", pid=22)
    with db.session(readonly=True) as session:
        held = LeaseRepository(session, clock).current(NAME)
    assert held is not None and (held.holder, held.host, held.pid) == ("first", "host-a", 11)
    assert held.acquired_at == clock.now() - timedelta(seconds=30)
    clock.tick(30)  # exactly at expiry: free to take
    assert _acquire(db, clock, "second", pid=22)
    with db.session() as session:
        leases = LeaseRepository(session, clock)
        assert not leases.heartbeat(NAME, "first", ttl=TTL)  # too late: fenced off
        assert not leases.holds(NAME, "first") and leases.holds(NAME, "second")
        assert not leases.release(NAME, "first")  # only the holder can release
        assert leases.current(NAME).holder == "second"  # type: ignore[union-attr]


def test_heartbeats_keep_the_lease_and_release_frees_it(db: Database, clock: FakeClock) -> None:
    assert _acquire(db, clock, "first")
    for _ in range(5):
        clock.tick(45)
        with db.session() as session:
            assert LeaseRepository(session, clock).heartbeat(NAME, "first", ttl=TTL)
        assert not _acquire(db, clock, "second")
    with db.session() as session:
        assert LeaseRepository(session, clock).release(NAME, "first")
    assert _acquire(db, clock, "second")


def test_a_holder_that_missed_its_heartbeats_cannot_renew(db: Database, clock: FakeClock) -> None:
    assert _acquire(db, clock, "first")
    clock.tick(61)
    with db.session() as session:
        assert not LeaseRepository(session, clock).heartbeat(NAME, "first", ttl=TTL)


def test_racing_runners_take_an_expired_lease_once(db: Database, clock: FakeClock) -> None:
    assert _acquire(db, clock, "old")
    clock.tick(120)
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def contend(name: str) -> None:
        barrier.wait()
        if _acquire(db, clock, name):
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(f"r{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(winners) == 1


def test_sync_lease_fences_writes_once_lost(db: Database, clock: FakeClock) -> None:
    mine = SyncLease(db, clock, ttl=TTL)
    other = SyncLease(db, clock, ttl=TTL)
    with mine.held():
        mine.check()  # held: may write
        with pytest.raises(LeaseHeldError, match=r"host .*, pid \d+, since"):
            other.acquire(wait=0)
        clock.tick(61)  # this runner stalled past its lease; another takes it
        assert other.try_acquire() is not None
        assert not mine.heartbeat()
        with pytest.raises(LeaseLostError):
            mine.check()
    assert other.holder() is not None  # releasing a lost lease leaves the new holder's


def test_waiting_for_the_lease_gives_up_after_the_timeout(db: Database, clock: FakeClock) -> None:
    holder = SyncLease(db, clock, ttl=TTL)
    assert holder.try_acquire() is not None
    with pytest.raises(LeaseHeldError):
        SyncLease(db, clock, ttl=TTL).acquire(wait=0.3)


def _enqueue(db: Database, clock: FakeClock, count: int) -> None:
    with db.session() as session:
        outbox = OutboxRepository(session, clock)
        for _ in range(count):
            outbox.enqueue("push", None, "test")


def test_claimed_items_are_skipped_by_other_workers_until_the_claim_lapses(
    db: Database, clock: FakeClock
) -> None:
    _enqueue(db, clock, 5)
    with db.session() as session:
        first = OutboxRepository(session, clock).claim("push", "w1", limit=3, ttl=TTL)
    with db.session() as session:
        outbox = OutboxRepository(session, clock)
        second = outbox.claim("push", "w2", limit=10, ttl=TTL)
        assert len(first) == 3 and len(second) == 2
        assert not {i.id for i in first} & {i.id for i in second}
        assert outbox.pending("push", 10) == []
        outbox.unclaim([second[0].id], "w2")
        assert [i.id for i in outbox.pending("push", 10)] == [second[0].id]
    clock.tick(61)
    with db.session() as session:
        assert len(OutboxRepository(session, clock).claim("push", "w3", limit=10, ttl=TTL)) == 5


@pytest.mark.postgres
def test_postgresql_workers_skip_locked_rows(db: Database, clock: FakeClock) -> None:
    if db.backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
    _enqueue(db, clock, 4)
    with db.session() as first_tx:
        first = OutboxRepository(first_tx, clock).claim("push", "w1", limit=2, ttl=TTL)
        with db.session() as second_tx:  # runs while the first still holds its row locks
            second = OutboxRepository(second_tx, clock).claim("push", "w2", limit=4, ttl=TTL)
    assert len(first) == 2 and len(second) == 2
    assert not {i.id for i in first} & {i.id for i in second}
