"""Sync Errors and Import in a real browser (headless Chromium) against the sandbox org:
a value Salesforce refuses shows on Sync Errors, is fixed, retried and leaves the list; a
CSV upload shows its progress, then its report. Screenshots go to /work/wt/shots when that
folder exists (for people reviewing the pages; never asserted on)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadbridge.domain.fields import FieldType, Origin, SyncBehaviour
from leadbridge.ports import SystemClock
from leadbridge.store import CustomFieldRepository, FieldMappingRepository, ProspectRepository
from leadbridge.store.database import Database
from leadbridge.store.models import SyncErrorRow
from leadbridge.store.users import UserRepository
from tests.console import LiveConsole, sign_in_page, wait_until

SHOTS = Path("/work/wt/shots")
REFUSED = "refused.qualified@example.com"


def shoot(page: Any, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"ops-{name}.png"), full_page=True)


def refused_prospect(database: Database) -> int:
    """A prospect whose Lead Status (Qualified) makes the org's validation rule ask for a
    phone: Salesforce refuses it with FIELD_CUSTOM_VALIDATION_EXCEPTION."""
    clock = SystemClock()
    with database.session() as session:
        CustomFieldRepository(session).add("lead_status", "Lead Status", FieldType.TEXT)
        FieldMappingRepository(session).upsert(
            "lead_status",
            lead_field="Status",
            contact_field=None,
            behaviour=SyncBehaviour.USE_LEADBRIDGE,
        )
        rep = next(user for user in UserRepository(session).list() if user.crm_username)
        prospects = ProspectRepository(session, clock)
        prospect = prospects.add(
            {"email": REFUSED, "lead_status": "Qualified"}, origin=Origin.USER, actor="test"
        )
        prospects.assign(prospect.id, rep.id, origin=Origin.USER, actor="test")
        return prospect.id


def open_errors(database: Database, prospect_id: int) -> list[str]:
    with database.session(readonly=True) as session:
        query = select(SyncErrorRow.error_code).where(
            SyncErrorRow.prospect_id == prospect_id, SyncErrorRow.resolved_at.is_(None)
        )
        return list(session.scalars(query))


def test_a_refused_value_is_fixed_retried_and_leaves_sync_errors(
    live_console: LiveConsole, browser_page: Any
) -> None:
    live = live_console
    prospect_id = refused_prospect(live.database)
    live.wake.set()
    wait_until(lambda: bool(open_errors(live.database, prospect_id)), 30, "Salesforce refused")

    page = browser_page
    sign_in_page(page, live.url, "marketing")
    page.goto(f"{live.url}/sync-errors?kind=data")
    row = page.locator("tbody tr", has_text=REFUSED)
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in row.inner_text()
    assert "Phone is required" in row.inner_text()
    assert row.locator(f'a[href="/prospects/{prospect_id}"]').count() == 1
    shoot(page, "sync-errors")

    # The fix, on the prospect's page (linked from the error's row).
    row.locator(f'a[href="/prospects/{prospect_id}"]').click()
    page.wait_for_url(re.compile(rf"/prospects/{prospect_id}$"))
    page.fill("#f-phone", "+1 555 0100")
    with page.expect_navigation():
        page.click("text=Save changes")
    assert page.input_value("#f-phone") == "+1 555 0100"
    page.goto(f"{live.url}/sync-errors?kind=data")
    row = page.locator("tbody tr", has_text=REFUSED)
    row.locator('input[name="ids"]').check()
    page.click("text=Retry selected")
    page.wait_for_selector(".notice")
    assert "queued for retry" in page.inner_text(".notice")

    def gone() -> bool:
        page.goto(f"{live.url}/sync-errors?kind=data")
        return page.locator("tbody tr", has_text=REFUSED).count() == 0

    wait_until(gone, 30, "the error left the list")
    assert open_errors(live.database, prospect_id) == []
    resolved = f"{live.url}/sync-errors?state=resolved&prospect={prospect_id}"
    page.goto(resolved)
    assert "Resolved" in page.locator("tbody tr", has_text=REFUSED).inner_text()


def test_a_csv_upload_shows_progress_then_its_report(
    live_console: LiveConsole, browser_page: Any, tmp_path: Path
) -> None:
    csv_file = tmp_path / "spring-event.csv"
    rows = [f"guest{n}@spring.example,Guest{n},Acme" for n in range(40)]
    csv_file.write_text(
        "email,first_name,company\n" + "\n".join([*rows, "not-an-email,Bad,Acme"]) + "\n"
    )
    page = browser_page
    sign_in_page(page, live_console.url, "marketing")
    page.goto(f"{live_console.url}/imports")
    shoot(page, "imports")
    page.set_input_files("#file", str(csv_file))
    page.click("text=Upload and import")
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    assert page.locator("#progress").count() == 1
    page.wait_for_selector("#report", timeout=60_000)  # the progress card reloads the page
    assert "Done" in page.inner_text(".im-progress")
    assert "41 of 41 rows" in page.inner_text("#rows-done")
    page.click("text=Need attention (1)")
    page.wait_for_url("**show=problems")
    assert page.locator("#report tbody tr").count() == 1
    bad = page.locator("#report tbody tr", has_text="not-an-email")
    assert "Skipped" in bad.inner_text()
    shoot(page, "import-report")
    with page.expect_download() as download:
        page.click("text=Download report (CSV)")
    report = Path(download.value.path()).read_text()
    assert report.splitlines()[0].startswith("line,email,status,reason")
    assert len(report.splitlines()) == 42
    page.goto(f"{live_console.url}/imports")
    assert "spring-event.csv" in page.inner_text("table")
