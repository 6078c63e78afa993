"""The Admin pages in a real browser: the connector's live status with pause / resume, a
field's sync behaviour, creating a user and changing their role, and a sales user refused.

Screenshots go to $LEADBRIDGE_SHOTS (when set) as admin-<page>.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from leadbridge.domain.fields import SyncBehaviour
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.field_mappings import FieldMappingRepository
from leadbridge.store.users import UserRepository
from tests.console import LiveConsole, sign_in_page

SHOTS = os.environ.get("LEADBRIDGE_SHOTS")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"admin-{name}.png"), full_page=True)


def _paused(live: LiveConsole) -> bool:
    with live.database.session(readonly=True) as session:
        config = ConnectorRepository(session).get()
    assert config is not None
    return config.paused


def test_connector_status_is_live_and_pause_resume_work(
    live_console: LiveConsole, browser_page: Any
) -> None:
    page, url = browser_page, live_console.url
    sign_in_page(page, url, "admin")
    page.goto(f"{url}/connector")
    state = page.locator("#connector-state")
    assert state.inner_text() == "Connected"
    assert page.locator("#last-poll").inner_text() != "—"  # the sync loop has polled

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#pause")
    page.wait_for_selector("#resume")
    assert state.inner_text() == "Paused"
    assert "Connector paused" in page.inner_text(".notice")
    assert _paused(live_console)

    # Resumed elsewhere (the CLI, another administrator): the open page follows by itself.
    with live_console.database.session() as session:
        ConnectorRepository(session).resume()
    expect(page.locator("#connector-state")).to_have_text("Connected", timeout=12_000)
    page.reload()
    page.click("#sync-now")
    page.wait_for_selector(".notice")
    _shot(page, "connector")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#pause")
    page.wait_for_selector("#resume")
    page.click("#resume")
    page.wait_for_selector("#pause")
    assert not _paused(live_console)


def test_change_a_fields_sync_behaviour(live_console: LiveConsole, browser_page: Any) -> None:
    page, url = browser_page, live_console.url
    sign_in_page(page, url, "admin")
    page.goto(f"{url}/fields")
    row = page.locator("#field-job_title")
    row.locator("select[name=behaviour]").select_option("use_leadbridge")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".notice")
    assert "job_title now: Use leadbridge's value" in page.inner_text(".notice")
    assert page.locator("#b-job_title").input_value() == "use_leadbridge"
    with live_console.database.session(readonly=True) as session:
        mapping = FieldMappingRepository(session).get("job_title")
    assert mapping is not None and mapping.behaviour is SyncBehaviour.USE_LEADBRIDGE
    page.select_option("#new-type", "checkbox")
    expect(page.locator("#new-crm-field")).to_contain_text("HasOptedOutOfFax")
    _shot(page, "fields")


def test_create_a_user_and_change_their_role(live_console: LiveConsole, browser_page: Any) -> None:
    page, url = browser_page, live_console.url
    sign_in_page(page, url, "admin")
    page.goto(f"{url}/users")
    page.fill("#new-email", "new.rep@console.example.com")
    page.fill("#new-name", "Nora Newrep")
    page.select_option("#new-role", "sales")
    page.fill("#new-password", "short")
    page.click("text=Add user")
    page.wait_for_selector("#password-error")
    assert "at least 12 characters" in page.inner_text("#password-error")
    page.fill("#new-password", "a long enough password")
    page.click("text=Add user")
    page.wait_for_selector(".notice")
    assert "User new.rep@console.example.com created." in page.inner_text(".notice")
    with live_console.database.session(readonly=True) as session:
        user = UserRepository(session).by_email("new.rep@console.example.com")
    assert user is not None
    row = page.locator(f"#user-{user.id}")
    row.locator("select[name=role]").select_option("sales_manager")
    row.locator("text=Change").click()
    page.wait_for_selector(".notice")
    assert "is now Sales manager" in page.inner_text(".notice")
    _shot(page, "users")


def test_a_sales_user_is_refused_the_connector(
    live_console: LiveConsole, browser_page: Any
) -> None:
    page, url = browser_page, live_console.url
    sign_in_page(page, url, "sales")
    answer = page.goto(f"{url}/connector")
    assert answer is not None and answer.status == 403
    assert "Not for your role" in page.inner_text("main")
    assert "Connector" not in page.inner_text("nav.sidebar")
