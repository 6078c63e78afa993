"""Rules fired set-based over a batch (leadbridge/automation/set_based.py) keep the row-by-row
semantics: prospects in id order, each rule in id order on the prospect as the previous rules
left it, a user group's turns taken in that order, claims that a rule fired once (or again
after its repeat delay), and every change audited and queued for a push as one by one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from leadbridge.automation import GroupService, RuleService
from leadbridge.automation.engine import RuleEngine, RulesReport, compile_rules
from leadbridge.automation.set_based import ClaimRefusedError, SetBasedFiring, supported
from leadbridge.domain.fields import Origin
from leadbridge.store import AuditRepository, Database
from leadbridge.store.automation import AutomationRuleRepository
from leadbridge.store.models import RuleMatchRow
from leadbridge.store.prospect_batches import prospects_by_ids
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.rule_matches import RuleMatchRepository
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
SPAIN = [{"field": "country", "op": "equals", "value": "Spain"}]


def people(db: Database, clock: FakeClock, *countries: str) -> list[int]:
    rows = [
        {"email": f"p{number}@example.com", "country": country}
        for number, country in enumerate(countries)
    ]
    return add_prospects(db, clock, *rows)


def test_group_turns_go_in_prospect_order_across_rules(db: Database, clock: FakeClock) -> None:
    one, two = add_users(db, "one@example.com", "two@example.com")
    GroupService(db, clock).add("reps", ["one@example.com", "two@example.com"])
    ids = people(db, clock, "France", "Spain", "France", "Spain", "Italy")
    to_reps = [{"type": "assign_group", "group": "reps"}]
    add_rule(db, clock, "French", criteria=FRANCE, actions=to_reps)
    add_rule(db, clock, "Spanish", criteria=SPAIN, actions=to_reps)
    report = changed(db, clock, *ids)
    assert (report.prospects, report.matched, report.fired) == (5, 4, 4)
    # Prospect by prospect, whichever rule assigns: not all French first, then all Spanish.
    assert [get(db, clock, pid).assigned_user_id for pid in ids] == [one, two, one, two, None]
    assert GroupService(db, clock).list()[0]["next"] == "one@example.com"
    assert pushes(db, clock) == [(pid, "assigned") for pid in ids[:4]]
    with db.session(readonly=True) as session:
        entry = AuditRepository(session).for_prospect(ids[1])[0]
    assert (entry.field, entry.new_value, entry.origin, entry.actor) == (
        "assigned_user_id",
        str(two),
        Origin.AUTOMATION,
        "Spanish",
    )


def test_a_later_rule_sees_an_earlier_rules_change_but_not_the_reverse(
    db: Database, clock: FakeClock
) -> None:
    """One pass: a rule reads the prospect as the rules before it (lower ids) left it; a
    rule after it changing what it reads does not make it fire in the same pass."""
    add_users(db, "rep@example.com")
    ids = people(db, clock, "France", "France")
    add_rule(db, clock, "B to rep", criteria=[{"field": "grade", "op": "equals", "value": "B"}],
             actions=[{"type": "assign_user", "user": "rep@example.com"}])  # fmt: skip
    add_rule(db, clock, "grade B", criteria=FRANCE,
             actions=[{"type": "change_field", "field": "grade", "value": "B"}])  # fmt: skip
    add_rule(db, clock, "B scores", criteria=[{"field": "grade", "op": "equals", "value": "B"}],
             actions=[{"type": "adjust_score", "by": 2},
                      {"type": "adjust_score", "by": 3}])  # fmt: skip
    report = changed(db, clock, *ids)
    assert [f.rule for f in report.firings] == ["grade B", "B scores"] * 2
    assert [(get(db, clock, pid).grade, get(db, clock, pid).score) for pid in ids] == [
        ("B", 5),
        ("B", 5),
    ]
    assert [get(db, clock, pid).assigned_user_id for pid in ids] == [None, None]
    second = changed(db, clock, *ids)  # the next pass: now "B to rep" matches
    assert [f.rule for f in second.firings] == ["B to rep", "B to rep"]
    assert second.fired == 2 and second.matched == 6


def test_repeat_after_and_once_rules_over_a_batch(db: Database, clock: FakeClock) -> None:
    ids = people(db, clock, "France", "France", "France")
    add_rule(db, clock, "once", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 1}])
    add_rule(db, clock, "weekly", criteria=FRANCE,
             actions=[{"type": "adjust_score", "by": 10}], repeat_after_days=7)  # fmt: skip
    changed(db, clock, ids[0])
    clock.tick(timedelta(days=7).total_seconds())
    report = changed(db, clock, *ids)  # weekly fires again for the first, first time for others
    assert report.fired == 2 + 3
    assert [get(db, clock, pid).score for pid in ids] == [21, 11, 11]
    with db.session(readonly=True) as session:
        query = select(RuleMatchRow.prospect_id, RuleMatchRow.times).where(RuleMatchRow.times > 1)
        times = {int(pid): int(count) for pid, count in session.execute(query)}
    assert times == {ids[0]: 2}
    assert changed(db, clock, *ids).fired == 0


def test_sync_and_do_not_sync_actions_queue_as_one_by_one(db: Database, clock: FakeClock) -> None:
    add_users(db, "rep@example.com")
    ids = people(db, clock, "France", "Spain")
    add_rule(db, clock, "assign", criteria=FRANCE,
             actions=[{"type": "assign_user", "user": "rep@example.com"},
                      {"type": "change_field", "field": "city", "value": "Paris"}])  # fmt: skip
    add_rule(db, clock, "push", criteria=FRANCE, actions=[{"type": "sync_with_crm"}])
    add_rule(db, clock, "hold", criteria=SPAIN, actions=[{"type": "set_do_not_sync"}])
    changed(db, clock, *ids)
    # The city change comes first (the prospect is not syncable yet: no push for it), then the
    # assignment (a push), then the sync asked for.
    assert pushes(db, clock) == [
        (ids[0], "assigned"),
        (ids[0], "sync with CRM requested by push"),
    ]
    assert get(db, clock, ids[0]).city == "Paris"
    assert get(db, clock, ids[1]).do_not_sync is True


def test_a_refused_claim_undoes_the_batch_and_it_runs_row_by_row(
    db: Database, clock: FakeClock
) -> None:
    """Claims are decided for sure by the database: when a concurrent run fired a rule for a
    prospect after this batch read who it fired for, the set-based batch is refused whole
    (the engine then runs it row by row, claiming each firing); run again, only what is
    left fires."""
    ids = people(db, clock, "France", "France")
    add_rule(db, clock, "once", criteria=FRANCE, actions=[{"type": "adjust_score", "by": 1}])
    with db.session() as session:
        rules = compile_rules(
            session, AutomationRuleRepository(session, clock).list(), changed_report()
        )
        assert supported(rules, FieldCatalog.load(session))
        prospects = prospects_by_ids(session, ids)
        fired_before = RuleMatchRepository(session, clock).last_fired([rules[0].rule.id], ids)
        # "Another run" claims the rule for the second prospect now.
        claims = RuleMatchRepository(session, clock)
        assert claims.claim(rules[0].rule.id, ids[1], repeat_after=None)
        with pytest.raises(ClaimRefusedError), session.begin_nested():
            SetBasedFiring(session, clock, FieldCatalog.load(session)).apply(
                rules, prospects, fired_before, changed_report()
            )
        assert [p.score for p in prospects_by_ids(session, ids)] == [0, 0]  # undone
        report = RuleEngine(session, clock).apply(rules, prospects)
    assert report.fired == 1
    assert [get(db, clock, pid).score for pid in ids] == [1, 0]
    assert RuleService(db, clock).show("once")["fired_for"] == 2


def changed_report() -> RulesReport:
    return RulesReport()
