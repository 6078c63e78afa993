"""Round-robin over a user group: in order, inactive members skipped, the turn kept in the
database across restarts and shared correctly by concurrent runs."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from leadbridge.automation import GroupService
from leadbridge.errors import ConflictError, NotFoundError
from leadbridge.store import Database, UserRepository, open_database
from leadbridge.store.groups import UserGroupRepository
from tests.integration.automation.support import (
    add_prospects,
    add_rule,
    add_users,
    changed,
    get,
)
from tests.integration.store.support import FakeClock

EMAILS = ("ana@example.com", "ben@example.com", "cleo@example.com")


def take_turns(db: Database, clock: FakeClock, group_id: int, times: int) -> list[str]:
    taken = []
    for _ in range(times):
        with db.session() as session:
            member = UserGroupRepository(session, clock).take_turn(group_id)
            taken.append(member.email if member else "-")
    return taken


def test_members_take_turns_in_order_skipping_inactive_ones(db: Database, clock: FakeClock) -> None:
    _, ben, _ = add_users(db, *EMAILS)
    group = GroupService(db, clock).add("EMEA", EMAILS)
    assert group["next"] == "ana@example.com"
    assert take_turns(db, clock, group["id"], 4) == [*EMAILS, "ana@example.com"]
    with db.session() as session:
        UserRepository(session).set_active(ben, False)
    assert take_turns(db, clock, group["id"], 3) == [
        "cleo@example.com",
        "ana@example.com",
        "cleo@example.com",
    ]
    with db.session() as session:
        for user in UserRepository(session).list():
            UserRepository(session).set_active(user.id, False)
    assert take_turns(db, clock, group["id"], 1) == ["-"]


def test_the_turn_survives_a_restart(db: Database, clock: FakeClock) -> None:
    add_users(db, *EMAILS)
    group = GroupService(db, clock).add("EMEA", EMAILS)
    take_turns(db, clock, group["id"], 2)
    reopened = open_database(db.engine.url.render_as_string(hide_password=False))
    try:
        assert take_turns(reopened, clock, group["id"], 1) == ["cleo@example.com"]
    finally:
        reopened.dispose()


def test_concurrent_runs_share_the_turns_evenly(db: Database, clock: FakeClock) -> None:
    add_users(db, *EMAILS)
    group = GroupService(db, clock).add("EMEA", EMAILS)
    taken: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = take_turns(db, clock, group["id"], 6)
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert Counter(taken) == dict.fromkeys(EMAILS, 6)


def test_a_rule_assigns_round_robin_and_never_reassigns(db: Database, clock: FakeClock) -> None:
    ana, ben = add_users(db, *EMAILS[:2])
    GroupService(db, clock).add("EMEA", EMAILS[:2])
    ids = add_prospects(db, clock, *({"email": f"p{i}@example.com"} for i in range(5)))
    add_rule(db, clock, "spread", criteria=[{"field": "assigned", "op": "is", "value": False}],
             actions=[{"type": "assign_group", "group": "EMEA"}], repeat_after_days=0)  # fmt: skip
    changed(db, clock, *ids)
    assert [get(db, clock, p).assigned_user_id for p in ids] == [ana, ben, ana, ben, ana]
    changed(db, clock, *ids)  # assigned now: the criteria no longer match, no turn is spent
    assert GroupService(db, clock).list()[0]["next"] == "ben@example.com"


def test_group_definitions(db: Database, clock: FakeClock) -> None:
    add_users(db, *EMAILS)
    service = GroupService(db, clock)
    with pytest.raises(NotFoundError, match="ghost"):
        service.add("EMEA", ["ghost@example.com"])
    service.add("EMEA", [EMAILS[1], EMAILS[0], EMAILS[1]])
    with pytest.raises(ConflictError):
        service.add("EMEA", [EMAILS[0]])
    grown = service.add_member("EMEA", EMAILS[2])
    assert [m["email"] for m in grown["members"]] == [EMAILS[1], EMAILS[0], EMAILS[2]]
