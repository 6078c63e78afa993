"""The push engine against the sandbox org: batching, pausing, retries, limits, conversions,
deletes, Bulk API, and the field rules on real records."""

from __future__ import annotations

from typing import Any

from leadbridge.store import OutboxRepository, SyncErrorRepository
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.outbox import PUSH
from tests.integration.sync.conftest import Wired, fast_client


def pending(wired: Wired) -> int:
    with wired.db.session() as session:
        return OutboxRepository(session, wired.clock).count_pending(PUSH)


def open_errors(wired: Wired, prospect_id: int) -> list[str]:
    with wired.db.session() as session:
        errors = SyncErrorRepository(session, wired.clock).for_prospect(prospect_id)
    return [error.error_code for error in errors if error.resolved_at is None]


def lead_of(wired: Wired, email: str) -> dict[str, Any]:
    [lead] = wired.rows('SELECT * FROM "Lead" WHERE "IsDeleted" = 0 AND "Email" = ?', email)
    return lead


def test_lookups_and_writes_are_batched_per_wave(wired: Wired) -> None:
    org = wired.sandbox.server.backend.org
    org.insert_raw(
        "Contact", [{"LastName": f"C{n}", "Email": f"p{n}@example.com"} for n in range(50)]
    )
    org.insert_raw(
        "Lead",
        [
            {"LastName": f"L{n}", "Company": "Acme", "Email": f"p{n}@example.com"}
            for n in range(50, 100)
        ],
    )
    wired.add_many([{"email": f"p{n}@example.com", "job_title": "Engineer"} for n in range(250)])
    summary = wired.engine(wave_size=100).run_once()
    assert (summary.matched_contact, summary.matched_lead, summary.created) == (50, 50, 150)
    assert summary.error_count == 0
    # 3 waves, each: contact lookup, lead lookup, contact update, lead update, lead upsert
    assert summary.api_calls <= 15
    again = wired.engine().run_once()
    assert (again.considered, again.api_calls) == (0, 0)


def test_a_paused_connector_only_pushes_manual_syncs(wired: Wired) -> None:
    wired.service.set_paused(True)
    prospect_id = wired.add("ada@example.com")
    paused = wired.engine().run_once()
    assert paused.paused
    assert paused.api_calls == 0
    assert pending(wired) == 1
    manual = wired.engine().run_once(manual=True, prospect_ids=[prospect_id])
    assert (manual.pushed, manual.created) == (1, 1)
    assert pending(wired) == 0  # its outbox item is done too


def test_transient_failures_retry_later_with_backoff(wired: Wired) -> None:
    prospect_id = wired.add("ada@example.com")
    wired.control(
        "POST",
        "/faults",
        {"kind": "SERVER_UNAVAILABLE", "next_n": 2, "path_contains": "/composite/sobjects"},
    )
    failed = wired.engine().run_once()
    assert dict(failed.errors) == {"transient": 1}
    assert open_errors(wired, prospect_id) == ["SERVER_UNAVAILABLE"]
    assert wired.engine().run_once().considered == 0  # not due yet
    wired.clock.advance(seconds=31)
    retried = wired.engine().run_once()
    assert (retried.pushed, retried.created) == (1, 1)
    assert open_errors(wired, prospect_id) == []


def test_a_spent_allowance_stops_the_run_and_keeps_the_work(wired: Wired) -> None:
    for number in range(3):
        wired.add(f"p{number}@example.com")
    used = wired.control("GET", "/usage")["used"]
    wired.control("POST", "/usage", {"allowance": used + 1})  # room for one call only
    stopped = wired.engine().run_once()
    assert stopped.stopped is not None
    assert "allowance" in stopped.stopped
    assert stopped.error_count == 0
    assert pending(wired) == 3
    wired.control("POST", "/usage", {"allowance": 100_000})
    fresh = fast_client(wired.service.credentials(), ConnectorSettings(api_budget_percent=100))
    resumed = wired.engine().__class__(wired.db, fresh, wired.clock).run_once()
    assert resumed.created == 3


def test_a_converted_lead_is_followed_to_its_contact(wired: Wired) -> None:
    prospect_id = wired.add("ada@example.com")
    wired.engine().run_once()
    converted = wired.control(
        "POST", "/convert", {"leadId": lead_of(wired, "ada@example.com")["Id"],
                             "doNotCreateOpportunity": True},
    )  # fmt: skip
    wired.edit(prospect_id, job_title="CTO")
    summary = wired.engine().run_once()
    assert (summary.pushed, summary.error_count) == (1, 0)
    [contact] = wired.rows('SELECT * FROM "Contact" WHERE "Id" = ?', converted["contactId"])
    assert contact["Title"] == "CTO"


def test_a_record_deleted_in_salesforce_is_not_recreated(wired: Wired) -> None:
    prospect_id = wired.add("ada@example.com")
    wired.engine().run_once()
    wired.control("DELETE", f"/records/Lead/{lead_of(wired, 'ada@example.com')['Id']}")
    wired.edit(prospect_id, job_title="CTO")
    summary = wired.engine().run_once()
    assert dict(summary.errors) == {"gone": 1}
    assert open_errors(wired, prospect_id) == ["RECORD_NOT_FOUND"]
    assert wired.rows('SELECT "Id" FROM "Lead" WHERE "IsDeleted" = 0') == []


def test_bulk_api_above_the_threshold(wired: Wired) -> None:
    wired.service.set("bulk_threshold", "5")
    crm = wired.crm
    crm.bulk_threshold = 5  # as `leadbridge sync` sets it from the connector's setting
    for number in range(6):
        wired.add(f"p{number}@example.com")
    summary = wired.engine().run_once()
    assert (summary.created, summary.error_count) == (6, 0)
    assert crm.usage().calls_by_kind.get("bulk", 0) > 0
    assert (
        len(wired.rows('SELECT "Id" FROM "Lead" WHERE "LeadBridge_Prospect_Id__c" IS NOT NULL'))
        == 6
    )


def test_only_changed_winning_fields_are_written(wired: Wired) -> None:
    prospect_id = wired.add("ada@example.com", job_title="Engineer")
    wired.engine().run_once()
    lead = lead_of(wired, "ada@example.com")
    rep_edit = {"fields": {"Title": "Head of Engineering", "DoNotCall": True}}
    wired.control("PATCH", f"/records/Lead/{lead['Id']}", rep_edit)
    wired.clock.advance(seconds=60)  # our edit is later than the rep's
    wired.edit(prospect_id, phone="+1 555 0100")
    summary = wired.engine().run_once()
    assert summary.updated == 1
    after = lead_of(wired, "ada@example.com")
    assert after["Phone"] == "+1 555 0100"  # ours: Salesforce had none
    assert after["Title"] == "Head of Engineering"  # use Salesforce's value
    assert after["DoNotCall"] == 1  # most recent: only Salesforce changed it since the push
    updates = wired.crm.usage().calls_by_kind.get("update", 0)
    forced = wired.engine().run_once(manual=True, prospect_ids=[prospect_id])
    assert (forced.unchanged, forced.api_calls) == (1, 1)  # one retrieve, nothing written
    assert wired.crm.usage().calls_by_kind.get("update", 0) == updates
