"""Automation rules against the store: who they match, what they change, how often they fire,
and that every change is audited as the rule, in the same transaction."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from leadbridge.automation import ActionRunner, RuleService
from leadbridge.domain.automation import AssignUser
from leadbridge.domain.fields import FieldType, Origin
from leadbridge.errors import ConflictError, InputError
from leadbridge.store import (
    AuditRepository,
    CustomFieldRepository,
    Database,
    ProspectRepository,
)
from leadbridge.store.campaign_requests import CampaignRequestRepository
from tests.integration.automation.support import (
    add_prospects,
    add_rule,
    add_users,
    changed,
    get,
    pushes,
)
from tests.integration.store.support import FakeClock

FRANCE = [{"field": "country", "op": "equals", "value": "France"}]
CAMPAIGN = "701000000000001AAA"


def test_a_rule_assigns_matching_prospects_only_audited_as_the_rule(
    db: Database, clock: FakeClock
) -> None:
    [rep] = add_users(db, "rep@example.com")
    ada, bob = add_prospects(
        db, clock, {"email": "ada@example.com", "country": "France"}, {"email": "bob@example.com"}
    )
    add_rule(db, clock, "France to rep", criteria=FRANCE,
             actions=[{"type": "assign_user", "user": "rep@example.com"}])  # fmt: skip
    report = changed(db, clock, ada, bob)
    assert (report.prospects, report.matched, report.fired) == (2, 1, 1)
    assert get(db, clock, ada).assigned_user_id == rep
    assert get(db, clock, bob).assigned_user_id is None
    assert pushes(db, clock) == [(ada, "assigned")]  # what makes the push engine push it
    with db.session(readonly=True) as session:
        entry = AuditRepository(session).for_prospect(ada)[0]
    assert (entry.field, entry.new_value) == ("assigned_user_id", str(rep))
    assert (entry.origin, entry.actor) == (Origin.AUTOMATION, "France to rep")


def test_assignment_actions_never_reassign(db: Database, clock: FakeClock) -> None:
    first, _ = add_users(db, "first@example.com", "second@example.com")
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    with db.session() as session:
        ProspectRepository(session, clock).assign(ada, first, origin=Origin.USER, actor="me")
    add_rule(db, clock, "to second", criteria=FRANCE,
             actions=[{"type": "assign_user", "user": "second@example.com"}])  # fmt: skip
    report = changed(db, clock, ada)
    assert get(db, clock, ada).assigned_user_id == first
    assert report.firings[0].skipped == (
        "assign to user second@example.com (if unassigned): already assigned",
    )


def test_once_per_prospect_fires_once_and_repeat_fires_every_time(
    db: Database, clock: FakeClock
) -> None:
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    add_rule(db, clock, "once", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 10}])
    add_rule(db, clock, "every time", criteria=FRANCE,
             actions=[{"type": "adjust_score", "by": 1}], repeat_after_days=0)  # fmt: skip
    for _ in range(3):
        changed(db, clock, ada)
    assert get(db, clock, ada).score == 10 + 3
    service = RuleService(db, clock)
    assert (service.show("once")["fired_for"], service.show("every time")["fired_for"]) == (1, 1)


def test_repeat_after_days_waits_that_long(db: Database, clock: FakeClock) -> None:
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    add_rule(db, clock, "weekly", criteria=FRANCE,
             actions=[{"type": "adjust_score", "by": 5}], repeat_after_days=7)  # fmt: skip
    changed(db, clock, ada)
    clock.tick(timedelta(days=6).total_seconds())
    changed(db, clock, ada)
    assert get(db, clock, ada).score == 5
    clock.tick(timedelta(days=1).total_seconds())
    changed(db, clock, ada)
    assert get(db, clock, ada).score == 10


def test_paused_rules_and_changes_made_by_rules_trigger_nothing(
    db: Database, clock: FakeClock
) -> None:
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    add_rule(db, clock, "paused", criteria=FRANCE, active=False,
             actions=[{"type": "adjust_score", "by": 10}])  # fmt: skip
    add_rule(db, clock, "active", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 1}])
    assert changed(db, clock, ada, origin=Origin.AUTOMATION).prospects == 0
    assert get(db, clock, ada).score == 0
    changed(db, clock, ada, origin=Origin.SALESFORCE)  # pulled changes run rules too
    assert get(db, clock, ada).score == 1


def test_rules_run_in_order_each_seeing_the_previous_ones_changes(
    db: Database, clock: FakeClock
) -> None:
    [rep] = add_users(db, "rep@example.com")
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    add_rule(db, clock, "grade", criteria=FRANCE,
             actions=[{"type": "change_field", "field": "grade", "value": "A"}])  # fmt: skip
    add_rule(db, clock, "A to rep", criteria=[{"field": "grade", "op": "equals", "value": "A"}],
             actions=[{"type": "assign_user", "user": "rep@example.com"}])  # fmt: skip
    report = changed(db, clock, ada)
    assert [firing.rule for firing in report.firings] == ["grade", "A to rep"]
    prospect = get(db, clock, ada)
    assert (prospect.grade, prospect.assigned_user_id) == ("A", rep)


def test_a_failing_action_undoes_that_rule_only_and_it_retries_later(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("plan", "Plan", FieldType.DROPDOWN, ["gold", "silver"])
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    gold = {"type": "change_field", "field": "plan", "value": "gold"}
    add_rule(db, clock, "gold", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 3}, gold])
    add_rule(db, clock, "score", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 1}])
    with db.session() as session:
        CustomFieldRepository(session).set_options("plan", ["silver"])  # gold is gone
    report = changed(db, clock, ada)
    assert [firing.rule for firing in report.firings] == ["score"]
    assert "rule 'gold' on prospect" in report.failures[0] and "gold" in report.failures[0]
    assert get(db, clock, ada).score == 1  # the +3 was undone with the failed change
    assert RuleService(db, clock).show("gold")["fired_for"] == 0  # not remembered: retried


def test_sync_campaign_and_do_not_sync_actions(db: Database, clock: FakeClock) -> None:
    [ada] = add_prospects(db, clock, {"email": "ada@example.com", "country": "France"})
    add_rule(db, clock, "all kinds", criteria=FRANCE, actions=[
        {"type": "add_to_crm_campaign", "campaign_id": CAMPAIGN, "status": "Responded"},
        {"type": "set_do_not_sync"},
        {"type": "sync_with_crm"},
    ])  # fmt: skip
    changed(db, clock, ada)
    assert get(db, clock, ada).do_not_sync is True
    assert pushes(db, clock) == [(ada, "sync with CRM requested by all kinds")]
    with db.session(readonly=True) as session:
        [request] = CampaignRequestRepository(session, clock).for_prospect(ada)
        entry = AuditRepository(session).for_prospect(ada)[0]
    assert (request.crm_campaign_id, request.status) == (CAMPAIGN, "Responded")
    assert (entry.field, entry.new_value, entry.actor) == ("do_not_sync", "true", "all kinds")


def test_criteria_on_custom_fields_email_domain_and_assignment(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("seats", "Seats", FieldType.NUMBER)
    add_users(db, "rep@example.com")
    big, small, gmail = add_prospects(
        db,
        clock,
        {"email": "a@acme.com", "seats": 500},
        {"email": "b@acme.com", "seats": 5},
        {"email": "c@gmail.com", "seats": 900},
    )
    add_rule(db, clock, "big business", criteria=[
        {"field": "seats", "op": "greater", "value": 100},
        {"field": "email_domain", "op": "is_not", "value": "gmail.com"},
        {"field": "assigned", "op": "is", "value": False},
    ], actions=[{"type": "assign_user", "user": "rep@example.com"}])  # fmt: skip
    changed(db, clock, big, small, gmail)
    assert [get(db, clock, p).assigned_user_id is not None for p in (big, small, gmail)] == [
        True,
        False,
        False,
    ]


def test_rules_run_and_preview_page_through_every_prospect(db: Database, clock: FakeClock) -> None:
    rows = [{"email": f"p{i}@example.com", "country": "France" if i % 2 else "Spain"}
            for i in range(9)]  # fmt: skip
    add_prospects(db, clock, *rows)
    add_rule(db, clock, "France", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 7}],
             active=False)  # fmt: skip
    service = RuleService(db, clock)
    preview = service.preview("France", sample=2, batch_size=2)
    assert (preview["scanned"], preview["matching"], preview["would_fire"]) == (9, 4, 4)
    assert [p["email"] for p in preview["sample"]] == ["p1@example.com", "p3@example.com"]
    with pytest.raises(InputError, match="paused"):
        service.run("France")
    service.set_active("France", True)
    progress: list[tuple[int, int]] = []
    report = service.run("France", batch_size=2, progress=lambda d, t: progress.append((d, t)))
    assert (report["prospects"], report["fired"]) == (9, 4)
    assert progress[-1] == (9, 9) and len(progress) == 5
    assert service.preview("France")["would_fire"] == 0  # once per prospect: all done
    assert service.run(batch_size=4)["fired"] == 0


def test_definitions_are_checked_against_what_exists(db: Database, clock: FakeClock) -> None:
    service = RuleService(db, clock)
    bad = [
        ([{"type": "assign_user", "user": "ghost@example.com"}], "no leadbridge user"),
        ([{"type": "assign_group", "group": "Ghosts"}], "no user group"),
        ([{"type": "change_field", "field": "employees", "value": "many"}], "not a number"),
        ([{"type": "change_field", "field": "favourite", "value": "x"}], "no prospect field"),
        ([{"type": "set_marketing_campaign", "campaign": "Ghost"}], "no marketing campaign"),
    ]
    for actions, message in bad:
        with pytest.raises(InputError, match=message):
            service.add("r", criteria=FRANCE, actions=actions)
    with pytest.raises(InputError, match="no prospect field"):
        service.add("r", criteria=[{"field": "colour", "op": "is_blank"}], actions=bad[0][0])
    service.add("r", criteria=FRANCE, actions=[{"type": "sync_with_crm"}])
    with pytest.raises(ConflictError, match="already exists"):
        service.add(" r ", criteria=FRANCE, actions=[{"type": "sync_with_crm"}])
    assert [rule["name"] for rule in service.list()] == ["r"]
    service.delete("r")
    assert service.list() == []


def test_concurrent_assignments_of_one_prospect_never_reassign(
    db: Database, clock: FakeClock
) -> None:
    users = add_users(db, *(f"rep{i}@example.com" for i in range(4)))
    [ada] = add_prospects(db, clock, {"email": "ada@example.com"})
    start = threading.Barrier(len(users))

    def assign(email: str) -> None:
        start.wait(timeout=10)
        with db.session() as session:
            runner = ActionRunner(session, clock, origin=Origin.AUTOMATION, actor=email)
            runner.run(ada, [AssignUser(email)])

    threads = [threading.Thread(target=assign, args=(f"rep{i}@example.com",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert get(db, clock, ada).assigned_user_id in users
    with db.session(readonly=True) as session:
        history = AuditRepository(session).for_prospect(ada)
    assert [entry.field for entry in history].count("assigned_user_id") == 1
