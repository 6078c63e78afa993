"""`domain.why.explain`: every reason, its order, and the verdict they add up to."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import pytest

from leadbridge.domain.push import BlockerCode
from leadbridge.domain.why import (
    AssignedUser,
    ConnectorState,
    ErrorEffect,
    Explanation,
    OpenError,
    PendingPush,
    ProspectFacts,
    Severity,
    Verdict,
    explain,
    push_facts,
)

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
MAPPED = AssignedUser("rep@example.com", "rep@acme.example")
# Assigned to a mapped user, connector running, in Salesforce, pushed: everything fine.
HEALTHY = ProspectFacts(
    asked_for="ada@example.com",
    prospect_id=7,
    email="ada@example.com",
    assigned_user=MAPPED,
    crm_lead_id="00Q000000000001AAA",
    last_pushed_at=AT,
)
NEW = replace(HEALTHY, crm_lead_id=None, last_pushed_at=None)
DATA_ERROR = OpenError(
    12,
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "Phone must have 10 digits",
    ("Phone",),
    crm_object="Lead",
    advice="Correct the data.",
)


def codes(explanation: Explanation) -> list[str]:
    return [reason.code for reason in explanation.reasons]


def reason(explanation: Explanation, code: str) -> tuple[str, Severity, str | None]:
    found = [r for r in explanation.reasons if r.code == code]
    assert len(found) == 1, codes(explanation)
    return found[0].message, found[0].severity, found[0].action


def test_not_found_says_only_that() -> None:
    result = explain(ProspectFacts(asked_for="nobody@example.com"))
    assert result.verdict is Verdict.NOT_SYNCING
    assert codes(result) == ["not_found"]
    message, _, action = reason(result, "not_found")
    assert "nobody@example.com" in message
    assert action is not None and "leadbridge prospects add nobody@example.com" in action


def test_how_salesforce_s_changes_arrive_is_said_for_a_linked_prospect() -> None:
    streamed = "as they happen, by Change Data Capture since 2026-12-03 14:00 UTC"
    result = explain(replace(HEALTHY, changes_arrive=streamed))
    assert codes(result) == ["linked", "changes_from_salesforce", "all_good"]
    message, severity, _ = reason(result, "changes_from_salesforce")
    assert message.endswith(f"reach leadbridge {streamed}.")
    assert severity is Severity.INFO
    unlinked = replace(HEALTHY, changes_arrive=streamed, crm_lead_id=None, crm_contact_id=None)
    assert "changes_from_salesforce" not in codes(explain(unlinked))


def test_healthy_linked_prospect_is_syncing() -> None:
    result = explain(HEALTHY)
    assert result.verdict is Verdict.SYNCING
    assert codes(result) == ["linked", "all_good"]
    message, severity, _ = reason(result, "linked")
    assert "Lead 00Q000000000001AAA" in message
    assert "last pushed at 2026-03-01 12:00 UTC" in message
    assert severity is Severity.INFO


def test_contact_link_wins_over_lead_and_never_pushed_is_said() -> None:
    facts = replace(HEALTHY, crm_contact_id="003000000000001AAA", last_pushed_at=None)
    message, _, _ = reason(explain(facts), "linked")
    assert "Contact 003000000000001AAA" in message
    assert "not pushed by leadbridge yet" in message


def test_deleted_in_crm_is_not_recreated() -> None:
    result = explain(replace(HEALTHY, recycled=True, deleted_in_crm=True))
    assert result.verdict is Verdict.NOT_SYNCING
    message, severity, action = reason(result, "deleted_in_crm")
    assert "deleted in Salesforce" in message
    assert severity is Severity.BLOCKING
    assert action is not None and "leadbridge prospects undelete 7" in action
    assert "recycled" not in codes(result)


def test_recycle_bin() -> None:
    result = explain(replace(HEALTHY, recycled=True))
    assert result.verdict is Verdict.NOT_SYNCING
    message, _, action = reason(result, "recycled")
    assert "recycle bin" in message
    assert action == "Restore it: leadbridge prospects undelete 7"


def test_do_not_sync() -> None:
    result = explain(replace(HEALTHY, do_not_sync=True))
    assert result.verdict is Verdict.NOT_SYNCING
    _, severity, action = reason(result, "do_not_sync")
    assert severity is Severity.BLOCKING
    assert action is not None and "do_not_sync=false" in action


def test_not_assigned_blocks_a_prospect_not_in_salesforce() -> None:
    result = explain(replace(NEW, assigned_user=None))
    assert result.verdict is Verdict.NOT_SYNCING
    message, severity, action = reason(result, "not_assigned")
    assert severity is Severity.BLOCKING
    assert "not assigned to a user" in message
    assert action is not None and action.startswith("Make sure the record is assigned to a user")
    assert codes(result)[-1] == "not_in_crm"


def test_not_assigned_is_fine_once_in_salesforce() -> None:
    result = explain(replace(HEALTHY, assigned_user=None))
    assert result.verdict is Verdict.SYNCING
    _, severity, _ = reason(result, "not_assigned")
    assert severity is Severity.INFO


def test_unmapped_user_blocks_creation() -> None:
    result = explain(replace(NEW, assigned_user=AssignedUser("rep@example.com")))
    assert result.verdict is Verdict.NOT_SYNCING
    message, _, action = reason(result, "user_not_mapped")
    assert "rep@example.com" in message and "not mapped to a Salesforce user" in message
    assert action is not None and "leadbridge users map rep@example.com" in action


def test_unmapped_user_does_not_matter_once_in_salesforce() -> None:
    result = explain(replace(HEALTHY, assigned_user=AssignedUser("rep@example.com")))
    assert "user_not_mapped" not in codes(result)
    assert result.verdict is Verdict.SYNCING


def test_no_connector() -> None:
    result = explain(replace(HEALTHY, connector=ConnectorState.MISSING))
    assert result.verdict is Verdict.NOT_SYNCING
    _, _, action = reason(result, "no_connector")
    assert action is not None and "leadbridge connector add" in action


def test_paused_connector_waits_and_manual_sync_works() -> None:
    result = explain(replace(HEALTHY, connector=ConnectorState.PAUSED))
    assert result.verdict is Verdict.WAITING
    message, severity, action = reason(result, "connector_paused")
    assert severity is Severity.WAITING
    assert "manual sync still works" in message
    assert action is not None and action.startswith("Resume it: leadbridge connector resume")
    assert "leadbridge sync prospect ada@example.com" in action
    assert "all_good" not in codes(result)


def test_open_error_blocks_with_its_message_and_the_retry_command() -> None:
    result = explain(replace(NEW, errors=(DATA_ERROR,)))
    assert result.verdict is Verdict.NOT_SYNCING
    message, severity, action = reason(result, "sync_error")
    assert severity is Severity.BLOCKING
    assert message == (
        "Sync error 12 (FIELD_CUSTOM_VALIDATION_EXCEPTION on the Salesforce Lead): "
        "Phone must have 10 digits (fields: Phone)."
    )
    assert action == (
        "Correct the data. Fix the error and try syncing again: leadbridge errors retry 12"
    )


def test_error_without_object_fields_or_advice() -> None:
    bare = OpenError(3, "USER_NOT_MAPPED", "no Salesforce user")
    message, _, action = reason(explain(replace(NEW, errors=(bare,))), "sync_error")
    assert message == "Sync error 3 (USER_NOT_MAPPED): no Salesforce user."
    assert action == "Fix the error and try syncing again: leadbridge errors retry 3"


def test_a_message_ending_a_sentence_gets_no_second_stop() -> None:
    asked = OpenError(5, "DUPLICATES_DETECTED", "Use one of these records? ")
    message, _, _ = reason(explain(replace(NEW, errors=(asked,))), "sync_error")
    assert message == "Sync error 5 (DUPLICATES_DETECTED): Use one of these records?"


def test_transient_error_is_retried_by_itself() -> None:
    busy = OpenError(4, "UNABLE_TO_LOCK_ROW", "busy", retries_automatically=True)
    result = explain(replace(HEALTHY, errors=(busy,)))
    assert result.verdict is Verdict.WAITING
    message, severity, action = reason(result, "sync_error")
    assert "retries this by itself" in message
    assert severity is Severity.WAITING and action is None


def test_error_with_a_queued_push_waits_for_it() -> None:
    pending = PendingPush(queued_since=AT, next_attempt_at=LATER)
    queued = replace(DATA_ERROR, retry_queued=True)
    result = explain(replace(NEW, errors=(queued,), pending=pending))
    assert result.verdict is Verdict.WAITING
    message, severity, _ = reason(result, "sync_error")
    assert "A new attempt is queued" in message and severity is Severity.WAITING
    assert codes(result) == ["sync_error", "push_pending", "not_in_crm"]


def test_campaign_error_needs_a_look_but_the_prospect_syncs() -> None:
    member = OpenError(
        20, "INVALID_CROSS_REFERENCE_KEY", "no such campaign", crm_object="CampaignMember",
        effect=ErrorEffect.CAMPAIGN,
    )  # fmt: skip
    result = explain(replace(HEALTHY, errors=(member,)))
    assert result.verdict is Verdict.SYNCING
    assert codes(result) == ["campaign_error", "linked"]
    message, severity, action = reason(result, "campaign_error")
    assert message.startswith("Sync error 20 (INVALID_CROSS_REFERENCE_KEY on the Salesforce ")
    assert severity is Severity.WARNING
    assert action == "Fix the error and try syncing again: leadbridge errors retry 20"
    queued = explain(replace(HEALTHY, errors=(replace(member, retry_queued=True),)))
    assert queued.verdict is Verdict.WAITING
    assert reason(queued, "campaign_error")[0].endswith("A new attempt is queued.")


def test_duplicate_warning_is_not_an_error_to_retry() -> None:
    warning = OpenError(
        21, "MULTIPLE_MATCHES", "2 contacts have this email; used the newest",
        effect=ErrorEffect.WARNING, advice="Merge the duplicates.",
    )  # fmt: skip
    result = explain(replace(HEALTHY, errors=(warning,)))
    assert result.verdict is Verdict.SYNCING
    message, severity, action = reason(result, "sync_warning")
    assert message == "Warning 21 (MULTIPLE_MATCHES): 2 contacts have this email; used the newest."
    assert (severity, action) == (Severity.WARNING, "Merge the duplicates.")
    assert "all_good" not in codes(result)
    bare = explain(replace(HEALTHY, errors=(replace(warning, advice=None),)))
    assert reason(bare, "sync_warning")[2] is None


def test_pending_push_says_since_when_and_next_attempt() -> None:
    pending = PendingPush(queued_since=AT, next_attempt_at=LATER)
    result = explain(replace(NEW, pending=pending))
    assert result.verdict is Verdict.WAITING
    message, _, _ = reason(result, "push_pending")
    assert message == (
        "A push to Salesforce is queued since 2026-03-01 12:00 UTC; "
        "next attempt at 2026-03-01 12:05 UTC."
    )


@pytest.mark.parametrize(
    ("attempts", "last_error", "ending"),
    [
        (1, None, "(tried 1 time)."),
        (3, "SERVER_UNAVAILABLE: try later", "(tried 3 times; last problem: SERVER_UNAVAILABLE: "
                                             "try later)."),
    ],
)  # fmt: skip
def test_pending_push_says_how_often_it_was_tried(
    attempts: int, last_error: str | None, ending: str
) -> None:
    pending = PendingPush(AT, LATER, attempts=attempts, last_error=last_error)
    message, _, _ = reason(explain(replace(NEW, pending=pending)), "push_pending")
    assert message.endswith(ending)


def test_assigned_but_never_pushed_and_nothing_queued() -> None:
    result = explain(NEW)
    assert result.verdict is Verdict.WAITING
    message, severity, action = reason(result, "not_pushed")
    assert "no push is queued" in message
    assert severity is Severity.WAITING
    assert action == "Sync it now: leadbridge sync prospect ada@example.com"


def test_reasons_come_in_the_troubleshooting_order() -> None:
    everything = replace(
        NEW,
        recycled=True,
        do_not_sync=True,
        assigned_user=AssignedUser("rep@example.com"),
        connector=ConnectorState.PAUSED,
        errors=(replace(DATA_ERROR, retry_queued=True),),
        pending=PendingPush(AT, LATER),
    )
    assert codes(explain(everything)) == [
        "recycled",
        "do_not_sync",
        "user_not_mapped",
        "connector_paused",
        "sync_error",
        "push_pending",
        "not_in_crm",
    ]
    assert explain(everything).verdict is Verdict.NOT_SYNCING


def test_name_falls_back_to_what_was_asked() -> None:
    facts = replace(NEW, email=None, asked_for="7", assigned_user=None)
    message, _, _ = reason(explain(facts), "not_assigned")
    assert message.startswith("7 is not assigned")


def test_a_blocker_why_does_not_know_yet_is_still_said(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadbridge.domain import why
    from leadbridge.domain.push import Blocker

    new_rule = Blocker(cast(BlockerCode, "quarantined"), "It is quarantined.")
    monkeypatch.setattr(why, "push_blockers", lambda facts: [new_rule])
    result = explain(HEALTHY)
    assert result.verdict is Verdict.NOT_SYNCING
    assert reason(result, "quarantined") == ("It is quarantined.", Severity.BLOCKING, None)


def test_why_asks_the_push_engine_with_the_same_facts() -> None:
    facts = push_facts(replace(NEW, assigned_user=AssignedUser("rep@example.com")))
    assert (facts.assigned, facts.linked, facts.assigned_user_mapped) == (True, False, False)
    assert facts.assigned_user == "rep@example.com" and not facts.manual
    assert push_facts(replace(HEALTHY, connector=ConnectorState.PAUSED)).paused
    assert push_facts(replace(NEW, assigned_user=None)).assigned_user_mapped


def test_a_queue_owner_is_said_and_still_syncs() -> None:
    unassigned = replace(HEALTHY, assigned_user=None, owner_queue="Inbound Leads")
    result = explain(unassigned)
    message, severity, action = reason(result, "queue_owner")
    assert "is owned by queue Inbound Leads in Salesforce" in message
    assert "not pushed" not in message
    assert (severity, action) == (Severity.INFO, None)
    assert "not_assigned" not in codes(result)  # the queue says it: no "not assigned" too
    assert result.verdict is Verdict.SYNCING


def test_a_leadbridge_assignment_over_a_queue_owner_is_said_not_pushed() -> None:
    result = explain(replace(HEALTHY, owner_queue="Inbound Leads"))
    message, severity, _ = reason(result, "queue_owner")
    assert "Its assignment to rep@example.com in leadbridge is not pushed" in message
    assert severity is Severity.INFO
    assert result.verdict is Verdict.SYNCING
