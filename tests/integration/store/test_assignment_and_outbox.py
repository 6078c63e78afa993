from __future__ import annotations

from datetime import timedelta

import pytest

from leadbridge.domain.fields import Origin
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store import (
    PUSH,
    AuditRepository,
    Database,
    OutboxRepository,
    ProspectRepository,
    UserRepository,
)
from tests.integration.store.support import FakeClock

USER = Origin.USER


def _prospect_and_user(db: Database, clock: FakeClock) -> tuple[int, int]:
    with db.session() as session:
        user = UserRepository(session).add("sam@example.com", "Sam", role="sales")
        prospect = ProspectRepository(session, clock).add(
            {"email": "ada@example.com"}, origin=USER, actor="ada"
        )
    return prospect.id, user.id


def test_unassigned_prospect_changes_need_no_push(db: Database, clock: FakeClock) -> None:
    prospect_id, _ = _prospect_and_user(db, clock)
    with db.session() as session:
        ProspectRepository(session, clock).update(
            prospect_id, {"first_name": "Ada"}, origin=USER, actor=None
        )
        assert OutboxRepository(session, clock).pending(PUSH) == []


def test_assign_audits_and_enqueues_a_push(db: Database, clock: FakeClock) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)
    with db.session() as session:
        assigned = ProspectRepository(session, clock).assign(
            prospect_id, user_id, origin=Origin.AUTOMATION, actor="rule 7"
        )
    assert assigned.assigned_user_id == user_id and assigned.syncable
    with db.session() as session:
        [item] = OutboxRepository(session, clock).pending(PUSH)
        assert (item.prospect_id, item.reason, item.attempts) == (prospect_id, "assigned", 0)
        entry = AuditRepository(session).for_prospect(prospect_id)[0]
        assert (entry.field, entry.old_value, entry.new_value) == (
            "assigned_user_id",
            None,
            str(user_id),
        )
        assert (entry.origin, entry.actor) == (Origin.AUTOMATION, "rule 7")


def test_rollback_removes_the_assignment_and_its_push_together(
    db: Database, clock: FakeClock
) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)

    def assign_then_fail() -> None:
        with db.session() as session:
            ProspectRepository(session, clock).assign(prospect_id, user_id, origin=USER, actor=None)
            assert len(OutboxRepository(session, clock).pending(PUSH)) == 1
            raise RuntimeError("the caller failed after assigning")

    with pytest.raises(RuntimeError):
        assign_then_fail()
    with db.session() as session:
        assert ProspectRepository(session, clock).get(prospect_id).assigned_user_id is None
        assert OutboxRepository(session, clock).pending(PUSH) == []
        assert len(AuditRepository(session).for_prospect(prospect_id)) == 1  # "created" only


def test_only_if_unassigned_keeps_the_first_owner(db: Database, clock: FakeClock) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)
    with db.session() as session:
        other = UserRepository(session).add("kim@example.com", "Kim", role="sales")
        prospects = ProspectRepository(session, clock)
        prospects.assign(prospect_id, user_id, origin=USER, actor=None)
        kept = prospects.assign(
            prospect_id, other.id, origin=USER, actor=None, only_if_unassigned=True
        )
        assert kept.assigned_user_id == user_id
        assert len(OutboxRepository(session, clock).pending(PUSH)) == 1


def test_assign_refuses_unknown_and_inactive_users(db: Database, clock: FakeClock) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)
    with db.session() as session:
        UserRepository(session).set_active(user_id, False)
        prospects = ProspectRepository(session, clock)
        with pytest.raises(NotFoundError):
            prospects.assign(prospect_id, 999, origin=USER, actor=None)
        with pytest.raises(InputError, match="inactive"):
            prospects.assign(prospect_id, user_id, origin=USER, actor=None)


def test_do_not_sync_prospects_are_not_pushed(db: Database, clock: FakeClock) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospects.update(prospect_id, {"do_not_sync": True}, origin=USER, actor=None)
        assigned = prospects.assign(prospect_id, user_id, origin=USER, actor=None)
        assert not assigned.syncable
        assert OutboxRepository(session, clock).pending(PUSH) == []


def test_changes_to_a_synced_prospect_are_pushed_unless_from_salesforce(
    db: Database, clock: FakeClock
) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospects.assign(prospect_id, user_id, origin=USER, actor=None)
        outbox = OutboxRepository(session, clock)
        outbox.mark_done([item.id for item in outbox.pending(PUSH)])
        prospects.update(prospect_id, {"city": "Paris"}, origin=Origin.SALESFORCE, actor=None)
        assert outbox.pending(PUSH) == []
        prospects.update(prospect_id, {"company": "Acme", "city": "Lyon"}, origin=USER, actor=None)
        [item] = outbox.pending(PUSH)
        assert item.reason == "changed: city, company"


def test_recycled_prospects_cannot_be_assigned(db: Database, clock: FakeClock) -> None:
    prospect_id, user_id = _prospect_and_user(db, clock)
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospects.recycle(prospect_id, origin=USER, actor=None)
        with pytest.raises(ConflictError):
            prospects.assign(prospect_id, user_id, origin=USER, actor=None)


def test_outbox_pending_done_and_retry(db: Database, clock: FakeClock) -> None:
    prospect_id, _ = _prospect_and_user(db, clock)
    with db.session() as session:
        outbox = OutboxRepository(session, clock)
        first = outbox.enqueue(PUSH, prospect_id, "one")
        later = outbox.enqueue(PUSH, prospect_id, "later", delay=timedelta(minutes=5))
        other = outbox.enqueue("pull", None, "other kind")
        assert [i.id for i in outbox.pending(PUSH)] == [first.id]
        assert [i.id for i in outbox.pending("pull")] == [other.id]
        retried = outbox.retry_later(first.id, "SERVER_UNAVAILABLE", timedelta(minutes=1))
        assert (retried.attempts, retried.last_error) == (1, "SERVER_UNAVAILABLE")
        assert outbox.pending(PUSH) == []
        clock.tick(600)
        assert [i.id for i in outbox.pending(PUSH)] == [first.id, later.id]
        outbox.mark_done([first.id])
        assert [i.id for i in outbox.pending(PUSH)] == [later.id]
        assert outbox.count_pending(PUSH) == 1
        with pytest.raises(NotFoundError):
            outbox.retry_later(999, "x", timedelta())
