"""Automation in a real browser: build a rule that assigns and run it; a form handler's
snippet on a page of another origin posts a prospect; Send to leadbridge from the page
Salesforce's button opens."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from leadbridge.automation import FormHandlerService
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store.prospects import ProspectRepository
from tests.acceptance.test_intake import new_record
from tests.console import LiveConsole, email_for, free_port, sign_in_page, wait_until

SHOTS = Path("/work/wt/shots")


def _shot(page: Any, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"automation-{name}.png"), full_page=True)


def _add_prospects(live: LiveConsole, *scores: int) -> list[int]:
    with live.database.session() as session:
        prospects = ProspectRepository(session, SystemClock())
        return [
            prospects.add(
                {"email": f"lead{n}@example.com", "company": "Acme", "score": score},
                origin=Origin.USER,
                actor="test",
            ).id
            for n, score in enumerate(scores)
        ]


def _settle(page: Any) -> None:
    """Wait until the builder's redraws (after a change) have landed and settled.

    A redraw computed from the form before a later edit would put the older values back, and
    htmx wires up swapped-in controls only when they settle (20 ms after the swap): a select
    changed before then sends nothing.
    """
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def test_build_a_rule_that_assigns_and_run_it(live_console: LiveConsole, browser_page: Any) -> None:
    page, url = browser_page, live_console.url
    ids = _add_prospects(live_console, 10, 75, 90)
    sign_in_page(page, url, "marketing")
    page.goto(f"{url}/rules")
    _shot(page, "rules-empty")
    page.click("text=New rule")
    page.fill("#name", "Hot leads to sales")
    page.select_option("#c0-field", "score")
    _settle(page)  # the builder redraws the row for a number field
    page.select_option("#c0-op", "greater")
    _settle(page)
    page.fill("#c0-value", "50")
    page.click("text=+ Add condition")
    page.wait_for_selector("#c1-field")
    _settle(page)
    page.select_option("#c1-field", "assigned")
    page.wait_for_selector("select#c1-value")
    _settle(page)
    page.select_option("#c1-value", "false")
    page.fill("#a0-target", email_for("sales"))
    _settle(page)
    page.click("text=Preview matches")
    page.wait_for_selector("#preview-matching")
    assert page.inner_text("#preview-matching") == "2"
    _shot(page, "rule-builder")
    page.click("button:text-is('Save rule')")
    page.wait_for_url(re.compile(r"/rules/\d+$"))  # not /rules/new, where it already is
    assert "added (active)" in page.inner_text(".notice")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:text-is('Run now')")
    expect(page.locator("#run-status")).to_contain_text("fired 2 times")  # polled while it runs
    page.reload()
    assert page.inner_text("#fired-for") == "2"
    _shot(page, "rule-show")
    sales = live_console.users["sales"]
    with live_console.database.session(readonly=True) as session:
        prospects = ProspectRepository(session, SystemClock())
        assert [prospects.get(pid).assigned_user_id for pid in ids] == [None, sales, sales]
    page.goto(f"{url}/rules")
    _shot(page, "rules-list")


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A tiny static web server on another port: another origin than the console."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_form_snippet_on_another_origin_posts_a_prospect(
    live_console: LiveConsole, browser_page: Any, other_site: tuple[str, Path]
) -> None:
    page, url = browser_page, live_console.url
    sign_in_page(page, url, "marketing")
    page.goto(f"{url}/forms/new")
    page.fill("#name", "Contact us")
    page.fill("#f0-name", "work_email")
    page.click("text=+ Add field")
    page.wait_for_selector("#f1-name")
    _settle(page)
    page.fill("#f1-name", "given_name")
    page.select_option("#f1-target", "first_name")
    page.select_option("#f1-required", "required")
    page.click("text=+ Add action")
    page.wait_for_selector("#a0-type")
    _settle(page)
    page.select_option("#a0-type", "adjust_score")
    page.wait_for_selector("#a0-target[placeholder^='Points']")
    _settle(page)
    page.fill("#a0-target", "15")
    page.click("button:text-is('Save form handler')")
    page.wait_for_url(re.compile(r"/forms/\d+$"))  # not /forms/new, where it already is
    _shot(page, "form-show")
    snippet = page.inner_text("#snippet")
    assert 'name="lb_website_url"' in snippet
    site, root = other_site
    (root / "contact.html").write_text(
        f"<!doctype html><title>Acme</title><h1>Talk to us</h1>\n{snippet}", encoding="utf-8"
    )
    visitor = page.context.browser.new_page()
    try:
        visitor.goto(f"{site}/contact.html")
        assert not visitor.is_visible("input[name=lb_website_url]")
        visitor.fill("input[name=work_email]", "grace@example.com")
        visitor.fill("input[name=given_name]", "Grace")
        with visitor.expect_navigation():
            visitor.click("button[type=submit]")
        assert '"ok":true' in visitor.content().replace(" ", "")
    finally:
        visitor.close()

    def landed() -> bool:
        with live_console.database.session(readonly=True) as session:
            found = ProspectRepository(session, SystemClock()).by_email("grace@example.com")
            return found is not None and found.score == 15

    wait_until(landed, 15, "the form post created the prospect")
    page.reload()
    assert "grace@example.com" in page.inner_text("main")
    _shot(page, "form-submissions")
    page.goto(f"{url}/forms")
    _shot(page, "forms-list")
    handler = FormHandlerService(live_console.database, SystemClock()).list()[0]
    assert handler["submissions"] == 1


def test_send_to_leadbridge_confirms_and_brings_the_lead_in(
    live_console: LiveConsole, browser_page: Any, sandbox: Any
) -> None:
    page, url = browser_page, live_console.url
    lead = new_record(sandbox, "Lead", Email="hopper@example.com", FirstName="Grace")
    target = f"{url}/send-to-leadbridge?ids={lead},not-an-id"
    page.goto(target)
    page.wait_for_url(lambda at: at.startswith(f"{url}/sign-in?next="))
    page.fill("#email", email_for("sales_manager"))
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(lambda at: at == target)
    assert lead in page.inner_text("#valid-ids")
    assert "not-an-id" in page.inner_text("#bad-ids")
    assert "lbk_" not in page.content() and "LEADBRIDGE_API_TOKEN" not in page.content()
    _shot(page, "send-to-confirm")
    page.click("text=Confirm: send to leadbridge")
    page.wait_for_url(lambda at: at.startswith(f"{url}/send-to-leadbridge/results/"))
    page.wait_for_selector("#send-results")
    assert "Created" in page.inner_text("#send-results")
    _shot(page, "send-to-result")
    page.reload()  # redirected after the POST: a refresh shows the results, sends nothing
    page.wait_for_selector("#send-results")
    assert "Created" in page.inner_text("#send-results")  # sent again, it would say Unchanged
    with live_console.database.session(readonly=True) as session:
        found = ProspectRepository(session, SystemClock()).by_email("hopper@example.com")
    assert found is not None and found.crm_lead_id is not None
