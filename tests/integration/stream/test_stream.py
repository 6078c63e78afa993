"""Salesforce's changes as they happen: Change Data Capture applied with the pull's rules.

Each test links prospects to sandbox leads, starts the stream runner on a thread and changes
Salesforce as a rep would; the prospect follows within seconds, and the org's API usage
counter says what it cost."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.matching import LEAD
from leadbridge.domain.pull import PULL_CURSOR
from leadbridge.sandbox.server import free_port
from leadbridge.store.audit import AuditRepository
from leadbridge.store.change_streams import POLLING
from leadbridge.store.connector import ConnectorRepository
from leadbridge.sync.cycle import STREAMED_MIRRORS, CycleSummary, sync_cycle
from leadbridge.sync.stream.apply import MIRRORS_CHANGED
from tests.integration.stream.conftest import Streamer


def _mirrors_marked(streamer: Streamer) -> bool:
    with streamer.w.db.session(readonly=True) as session:
        return ConnectorRepository(session).cursor(*MIRRORS_CHANGED) is not None


def _salesforce_audit(streamer: Streamer, pid: int, field: str) -> list[Any]:
    with streamer.w.db.session(readonly=True) as session:
        rows = AuditRepository(session).for_prospect(pid)
    return [r for r in rows if r.field == field and r.origin == "salesforce"]


def test_an_edit_in_salesforce_reaches_the_prospect_with_no_api_call(streamer: Streamer) -> None:
    pid, lead = streamer.linked("ada@example.com", company="Engines")
    streamer.start()
    before = streamer.api_calls()
    streamer.edit("Lead", lead, Company="Analytical Engines", Title="Countess")
    streamer.until(lambda: streamer.get(pid).value("company") == "Analytical Engines", "the edit")
    assert streamer.get(pid).value("job_title") == "Countess"
    assert streamer.api_calls() == before
    state = streamer.state()
    assert state.events_applied >= 1 and state.replay_id
    assert streamer.streaming()


def test_leadbridge_s_own_write_comes_back_as_an_echo_and_changes_nothing(
    streamer: Streamer,
) -> None:
    streamer.mapping("company", "Company", SyncBehaviour.USE_LEADBRIDGE)
    pid, _lead = streamer.linked("echo@example.com", company="Before")
    streamer.start()
    applied = streamer.state().events_applied
    with streamer.w.db.session() as session:
        from leadbridge.domain.fields import Origin
        from leadbridge.store import ProspectRepository

        ProspectRepository(session, streamer.w.clock).update(
            pid, {"company": "Ours"}, origin=Origin.USER, actor="test"
        )
    streamer.now()
    assert streamer.w.engine().run_once().updated == 1
    streamer.until(lambda: streamer.state().events_applied > applied, "the push's own event")
    assert streamer.get(pid).value("company") == "Ours"
    assert _salesforce_audit(streamer, pid, "company") == []


def test_delete_undelete_and_merge_follow_salesforce(streamer: Streamer) -> None:
    gone, gone_lead = streamer.linked("gone@example.com")
    keep, keep_lead = streamer.linked("keep@example.com")
    lost, lost_lead = streamer.linked("lost@example.com", job_title="CTO")
    streamer.start()
    streamer.w.control("DELETE", f"/records/Lead/{gone_lead}")
    streamer.until(lambda: streamer.get(gone).deleted_in_crm, "the delete")
    assert streamer.get(gone).recycled
    streamer.w.control("POST", "/undelete", {"ids": [gone_lead]})
    streamer.until(lambda: not streamer.get(gone).recycled, "the undelete")
    streamer.w.control(
        "POST", "/merge", {"type": "Lead", "masterId": keep_lead, "mergeIds": [lost_lead]}
    )
    streamer.until(lambda: streamer.get(lost).recycled, "the merge")
    assert streamer.get(keep).value("job_title") == "CTO"  # blank filled from the merged one
    assert streamer.get(keep).crm_lead_id == keep_lead


def test_a_converted_lead_relinks_its_prospect_to_the_contact(streamer: Streamer) -> None:
    pid, lead = streamer.linked("convert@example.com")
    streamer.start()
    converted = streamer.w.control(
        "POST", "/convert", {"leadId": lead, "doNotCreateOpportunity": True}
    )
    streamer.until(
        lambda: streamer.get(pid).crm_contact_id == converted["contactId"], "the conversion"
    )
    streamer.edit("Contact", converted["contactId"], Title="Head of Data")
    streamer.until(
        lambda: streamer.get(pid).value("job_title") == "Head of Data", "the contact edit"
    )


def test_new_leads_arrive_by_the_stream_when_auto_create_is_on(streamer: Streamer) -> None:
    streamer.setting("auto_create_prospects", "true")
    streamer.start()
    before = streamer.api_calls()
    streamer.w.control(
        "POST",
        "/records/Lead",
        {"fields": {"LastName": "New", "Company": "Fresh", "Email": "fresh@example.com"}},
    )

    def created() -> bool:
        with streamer.w.db.session(readonly=True) as session:
            from leadbridge.store import ProspectRepository

            return (
                ProspectRepository(session, streamer.w.clock).by_email("fresh@example.com")
                is not None
            )

    streamer.until(created, "the new prospect")
    assert streamer.api_calls() == before


def test_a_gap_event_reads_its_records_and_an_overflow_polls_its_window(streamer: Streamer) -> None:
    pid, lead = streamer.linked("gap@example.com", company="Before")
    other, other_lead = streamer.linked("overflow@example.com", company="Before")
    streamer.start()
    streamer.select("Contact")  # Salesforce publishes nothing for these edits
    streamer.edit("Lead", lead, Company="Seen by the gap")
    streamer.edit("Lead", other_lead, Company="Seen by the catch-up poll")
    streamer.select("Lead", "Contact")
    streamer.w.control(
        "POST", "/cdc/events", {"kind": "gap", "entity": "Lead", "record_ids": [lead]}
    )
    streamer.until(lambda: streamer.get(pid).value("company") == "Seen by the gap", "the gap")
    assert streamer.get(other).value("company") == "Before"
    streamer.w.control("POST", "/cdc/events", {"kind": "overflow", "entity": "Lead"})
    streamer.until(
        lambda: streamer.get(other).value("company") == "Seen by the catch-up poll", "the overflow"
    )

    def caught_up() -> bool:
        with streamer.w.db.session(readonly=True) as session:
            return ConnectorRepository(session).cursor(LEAD, "stream_catch_up") is None

    streamer.until(caught_up, "the catch-up to be done")


def test_a_restart_resumes_after_the_stored_position_applying_each_change_once(
    streamer: Streamer,
) -> None:
    pid, lead = streamer.linked("resume@example.com", company="One")
    streamer.start()
    streamer.edit("Lead", lead, Company="Two")
    streamer.until(lambda: streamer.get(pid).value("company") == "Two", "the first edit")
    streamer.halt()
    streamer.edit("Lead", lead, Company="Three")  # while leadbridge is down
    before = streamer.api_calls()
    streamer.start()
    streamer.until(lambda: streamer.get(pid).value("company") == "Three", "the missed edit")
    assert streamer.api_calls() == before  # replayed from the stream, not polled
    changes = [r.new_value for r in reversed(_salesforce_audit(streamer, pid, "company"))]
    assert changes == ["Two", "Three"]


def test_a_position_past_retention_is_caught_up_by_polling(streamer: Streamer) -> None:
    pid, lead = streamer.linked("expired@example.com", company="One")
    streamer.start()
    streamer.edit("Lead", lead, Company="Two")
    streamer.until(lambda: streamer.get(pid).value("company") == "Two", "the first edit")
    streamer.halt()
    streamer.edit("Lead", lead, Company="Three")
    streamer.w.control(
        "POST", "/clock", {"offset_seconds": int(timedelta(hours=73).total_seconds())}
    )
    streamer.start()  # refused position → catch-up poll → streaming from the tip
    streamer.until(lambda: streamer.get(pid).value("company") == "Three", "the catch-up")
    streamer.edit("Lead", lead, Company="Four")
    streamer.until(lambda: streamer.get(pid).value("company") == "Four", "the next edit")


def test_without_change_data_capture_changes_are_polled_and_the_reason_said(
    streamer: Streamer,
) -> None:
    pid, lead = streamer.linked("poll@example.com", company="One")
    streamer.select("Account")
    streamer.w.service.verify()
    runner = streamer.runner_only()
    assert runner.run_once() is False
    state = streamer.state()
    assert state.mode == POLLING
    assert "Lead and Contact" in state.reason and "Setup > Change Data Capture" in state.reason
    assert not streamer.streaming()
    streamer.edit("Lead", lead, Company="Polled")
    streamer.now()
    cycle = sync_cycle(
        streamer.w.db,
        streamer.w.crm,
        streamer.w.clock,
        streaming=streamer.streaming,
    ).run_once()
    assert cycle.pull is not None and not cycle.pull.streaming
    assert streamer.get(pid).value("company") == "Polled"


def test_while_streaming_the_cycle_skips_the_poll_and_the_cursor_follows_the_stream(
    streamer: Streamer,
) -> None:
    streamer.select("Lead", "Contact", *sorted(STREAMED_MIRRORS))
    streamer.w.service.verify()
    pid, lead = streamer.linked("skip@example.com", company="One")
    streamer.start()

    def cycle() -> CycleSummary:
        streamer.now()
        with streamer.stream_lock():
            return sync_cycle(
                streamer.w.db,
                streamer.w.crm,
                streamer.w.clock,
                streaming=streamer.streaming,
            ).run_once()

    cycle()  # the mirrors' first read
    time.sleep(1.1)  # past the window the runner's start-up polls read
    streamer.edit("Lead", lead, Company="Two")
    streamer.until(lambda: streamer.get(pid).value("company") == "Two", "the edit")
    before = streamer.api_calls()
    idle = cycle()
    assert idle.pull is not None and idle.pull.streaming
    assert streamer.api_calls() == before, idle.as_dict()
    streamer.w.control("POST", "/records/Account", {"fields": {"Name": "Acme"}})
    streamer.until(lambda: _mirrors_marked(streamer), "the account's event")
    mirrored = cycle().results["mirrors"]
    assert mirrored.api_calls > 0, mirrored.as_dict()  # a mirrored object changed: read again
    assert streamer.api_calls() > before
    with streamer.w.db.session(readonly=True) as session:
        cursor = ConnectorRepository(session).cursor(LEAD, PULL_CURSOR)
    assert cursor is not None and streamer.state().committed_at is not None
    assert cursor == streamer.state().committed_at.isoformat()


def test_when_the_stream_is_down_the_mode_says_why_and_the_cycle_polls(
    streamer: Streamer,
) -> None:
    pid, lead = streamer.linked("down@example.com", company="One")
    with streamer.w.db.session() as session:  # the Pub/Sub API unreachable
        connector = ConnectorRepository(session)
        config = connector.get()
        assert config is not None
        connector.save(replace(config, pubsub_endpoint=f"127.0.0.1:{free_port()}"))
    runner = streamer.runner_only()
    thread = threading.Thread(target=runner.run, daemon=True)
    streamer.thread = thread
    thread.start()
    streamer.until(lambda: "change stream is down" in streamer.state().reason, "the stream to fail")
    assert streamer.state().mode == POLLING and not streamer.streaming()
    streamer.edit("Lead", lead, Company="Polled")
    streamer.now()
    cycle = sync_cycle(
        streamer.w.db, streamer.w.crm, streamer.w.clock, streaming=streamer.streaming
    ).run_once()
    assert cycle.pull is not None and not cycle.pull.streaming
    assert streamer.get(pid).value("company") == "Polled"
