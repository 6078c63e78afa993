"""The pull's pure decisions: windows, record states, field plans, email, merges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.pull import (
    OVERLAP,
    RecordState,
    email_change,
    email_not_applied_message,
    merge_blanks,
    plan_pull,
    pull_window,
    record_state,
    soql_datetime,
)
from leadbridge.domain.push_record import ProspectValues
from tests.unit.sync.schema import LEAD

NOW = datetime(2026, 3, 1, 12, 0, 30, 500000, tzinfo=UTC)


def test_the_window_overlaps_and_never_passes_the_poll_start() -> None:
    cursor = NOW - timedelta(seconds=120)
    assert pull_window(cursor, NOW) == (cursor - OVERLAP, NOW)
    assert pull_window(None, NOW) == (NOW - OVERLAP, NOW)
    assert pull_window(NOW + timedelta(hours=1), NOW) == (NOW - OVERLAP, NOW)  # clock went back


def test_soql_datetimes_are_whole_utc_seconds() -> None:
    assert soql_datetime(NOW) == "2026-03-01T12:00:30Z"


def test_record_states() -> None:
    assert record_state({"Id": "1"}) is RecordState.LIVE
    assert record_state({"IsDeleted": True}) is RecordState.DELETED
    assert record_state({"IsDeleted": True, "MasterRecordId": "2"}) is RecordState.MERGED
    converted = {"IsConverted": True, "ConvertedContactId": "003"}
    assert record_state(converted) is RecordState.CONVERTED


def _rule(behaviour: SyncBehaviour, blank: bool = False) -> FieldRule:
    return FieldRule("job_title", "Title", behaviour, blank)


def test_salesforce_changes_are_taken_and_echoes_are_not() -> None:
    prospect = ProspectValues("a@x.io", {"job_title": "CTO"}, {}, NOW)
    record = {"Id": "00Q", "Title": "CEO", "LastModifiedDate": NOW.isoformat()}
    moved = plan_pull(LEAD, [_rule(SyncBehaviour.MOST_RECENT)], prospect, record, {"Title": "CTO"})
    assert moved.changes == {"job_title": "CEO"}
    assert moved.agreed == {"Title": "CEO"}
    echo = plan_pull(
        LEAD, [_rule(SyncBehaviour.MOST_RECENT)], prospect, {**record, "Title": "CTO"}, {}
    )
    assert echo.changes == {} and echo.agreed == {"Title": "CTO"}


def test_use_leadbridge_and_blank_rules_keep_our_value() -> None:
    prospect = ProspectValues("a@x.io", {"job_title": "CTO"}, {}, NOW)
    record = {"Id": "00Q", "Title": "CEO"}
    assert (
        plan_pull(LEAD, [_rule(SyncBehaviour.USE_LEADBRIDGE)], prospect, record, {}).changes == {}
    )
    blank = {"Id": "00Q", "Title": None}
    assert plan_pull(LEAD, [_rule(SyncBehaviour.USE_SALESFORCE)], prospect, blank, {}).changes == {}
    overwrite = plan_pull(LEAD, [_rule(SyncBehaviour.USE_SALESFORCE, True)], prospect, blank, {})
    assert overwrite.changes == {"job_title": None}


def test_fields_not_read_are_left_alone() -> None:
    prospect = ProspectValues("a@x.io", {"job_title": "CTO"}, {}, NOW)
    plan = plan_pull(LEAD, [_rule(SyncBehaviour.USE_SALESFORCE)], prospect, {"Id": "00Q"}, {})
    assert plan.changes == {} and plan.agreed == {}


def test_email_changes() -> None:
    assert email_change("a@x.io", "A@X.io ") is None
    assert email_change("a@x.io", None) is None
    assert email_change("a@x.io", "b@x.io") == "b@x.io"
    assert "apply_crm_email_changes is off" in email_not_applied_message("b@x.io", "a@x.io")


def test_merging_copies_only_blank_fields() -> None:
    keep = {"phone": None, "job_title": "CTO", "email": None}
    other = {"phone": "1", "job_title": "CEO", "email": "o@x.io"}
    assert merge_blanks(keep, other, ["phone", "job_title", "email"]) == {"phone": "1"}
