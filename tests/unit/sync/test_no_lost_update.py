"""The pure rules behind "no lost update": values leadbridge sent are its own echo, and
"most recent" is decided per field on Salesforce's clock, never by another field's edit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.pull import plan_pull
from leadbridge.domain.push_record import SEEN, SENT, ProspectValues, conflicts, plan_write
from tests.unit.sync.schema import LEAD

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
RULES = (FieldRule("job_title", "Title", SyncBehaviour.MOST_RECENT),)


def lead(title: Any, modified: datetime) -> dict[str, Any]:
    return {"Id": "00QA", "Title": title, "LastModifiedDate": modified.isoformat()}


def prospect(title: Any, changed: datetime) -> ProspectValues:
    return ProspectValues("ada@example.com", {"job_title": title}, {"job_title": changed})


def test_a_value_we_sent_is_an_echo_so_the_newer_edit_is_pushed_not_overwritten() -> None:
    state = {"Title": "v1", SENT: {"Title": "v2"}}
    record = lead("v2", T0 + timedelta(minutes=5))  # applied after the user's v3 edit
    ours = prospect("v3", T0)
    assert plan_write(LEAD, RULES, ours, record, agreed=state).values == {"Title": "v3"}
    pulled = plan_pull(LEAD, RULES, ours, record, state)
    assert pulled.changes == {}
    assert conflicts(LEAD, RULES, ours, record, state) == []


def test_salesforces_field_history_time_beats_another_fields_last_modified_date() -> None:
    state = {"Title": "v1"}
    record = lead("theirs", T0 + timedelta(minutes=10))  # a rep edited another field
    ours = prospect("ours", T0 + timedelta(minutes=2))
    assert conflicts(LEAD, RULES, ours, record, state) == ["Title"]
    history = {"Title": T0 + timedelta(minutes=1)}  # when Salesforce's Title was set
    plan = plan_write(LEAD, RULES, ours, record, agreed=state, theirs_at=history)
    assert plan.values == {"Title": "ours"}
    assert plan_pull(LEAD, RULES, ours, record, state, history).changes == {}
    later = {"Title": T0 + timedelta(minutes=3)}
    assert plan_pull(LEAD, RULES, ours, record, state, later).changes == {"job_title": "theirs"}


def test_without_history_the_time_the_pull_first_saw_the_change_is_kept() -> None:
    state: dict[str, Any] = {"Title": "v1"}
    ours = prospect("ours", T0 + timedelta(minutes=2))
    first = plan_pull(LEAD, RULES, ours, lead("theirs", T0 + timedelta(minutes=1)), state)
    assert first.changes == {}  # ours is newer: pushed
    assert first.agreed[SEEN] == {"Title": ["theirs", (T0 + timedelta(minutes=1)).isoformat()]}
    state = {**state, **first.agreed}
    # The push did not get through; a rep then edits another field of the lead.
    record = lead("theirs", T0 + timedelta(minutes=10))
    assert plan_pull(LEAD, RULES, ours, record, state).changes == {}
    assert plan_write(LEAD, RULES, ours, record, agreed=state).values == {"Title": "ours"}


def test_our_change_times_move_onto_salesforces_clock() -> None:
    ours = prospect("ours", T0 + timedelta(minutes=2))  # our clock runs 5 min ahead
    shifted = ours.shifted(timedelta(minutes=-5))
    assert shifted.changed("job_title") == T0 - timedelta(minutes=3)
    history = {"Title": T0}
    record = lead("theirs", T0)
    state = {"Title": "v1"}
    assert plan_write(LEAD, RULES, ours, record, agreed=state, theirs_at=history).values
    assert not plan_write(LEAD, RULES, shifted, record, agreed=state, theirs_at=history).values


def test_a_true_tie_goes_to_salesforce() -> None:
    record = lead("theirs", T0)
    plan = plan_pull(LEAD, RULES, prospect("ours", T0), record, {"Title": "v1"}, {"Title": T0})
    assert plan.changes == {"job_title": "theirs"}
