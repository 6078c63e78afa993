"""A whole sync cycle against an org that keeps at most 10 query cursors per user and pages
10 records at a time: every step pages through far more pages than the cap, and never has
so many cursors open that Salesforce would release one still in use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.domain.fields import SyncBehaviour
from leadbridge.sync.cycle import CycleSummary, sync_cycle
from leadbridge.sync.intake import IntakeSummary
from leadbridge.sync.mirrors import MirrorSummary
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import Wired

PAGE = 10  # records per query page: a 10-page read is 100 records


def cycle(w: Wired) -> CycleSummary:
    w.clock.at = datetime.now(UTC) + timedelta(minutes=20)  # the mirrors step runs every time
    summary = sync_cycle(w.db, w.crm, w.clock).run_once()
    assert not summary.failures, summary.failures
    for result in summary.results.values():
        assert getattr(result, "stopped", None) is None, result
    return summary


def test_a_full_cycle_pages_past_the_cursor_cap_without_losing_a_cursor(wired: Wired) -> None:
    w = wired
    org = Puller(w)
    org.mapping("job_title", "Title", SyncBehaviour.MOST_RECENT)
    w.service.set("auto_create_prospects", "true")
    prospects = w.add_many([{"email": f"p{i}@example.com", "job_title": "CTO"} for i in range(150)])
    backend = w.sandbox.server.backend
    accounts = backend.org.insert_raw("Account", [{"Name": f"Acct {i}"} for i in range(120)])
    backend.org.insert_raw(
        "Contact",
        [
            {"LastName": f"C{i}", "Email": f"c{i}@example.com", "AccountId": accounts[i % 120]}
            for i in range(120)
        ],
    )
    w.control("POST", "/queries", {"max_batch_size": PAGE})

    first = cycle(w)
    assert first.push is not None and first.push.created == 150
    intake = first.results["intake"]
    assert isinstance(intake, IntakeSummary) and intake.created == 120  # the new contacts
    mirrors = first.results["mirrors"]
    assert isinstance(mirrors, MirrorSummary) and mirrors.accounts >= 120

    leads = [org.get(pid).crm_lead_id for pid in prospects]
    for lead in leads:  # a rep edits every lead, leadbridge a third of the prospects
        assert lead is not None
        backend.org.update("Lead", lead, {"Title": "CEO"})
    for pid in prospects[::3]:
        w.edit(pid, job_title="VP")

    second = cycle(w)
    assert second.pull is not None and second.pull.pulled >= 150
    assert second.push is not None and second.push.considered == 50

    report = w.control("GET", "/queries")
    assert report["released"] == 0  # no cursor was ever released under a reader
    assert report["peak_open_per_user"] <= 6
    assert report["open_cursors"] <= 1
