"""The Prospects pages in a real browser, with leadbridge connected to the sandbox org."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.users import UserRepository
from tests.conftest import SandboxClient
from tests.console import LiveConsole, sign_in_page

SHOTS = Path(os.environ.get("LEADBRIDGE_SHOTS", "/work/wt/shots"))
PEOPLE = (
    ("Ada", "Lovelace", "Analytical Engines", "Mathematician"),
    ("Grace", "Hopper", "US Navy", "Rear Admiral"),
    ("Alan", "Turing", "Bletchley Park", "Cryptanalyst"),
    ("Barbara", "Liskov", "MIT", "Professor"),
    ("Edsger", "Dijkstra", "Eindhoven University", "Professor"),
    ("Donald", "Knuth", "Stanford", "Professor Emeritus"),
    ("Margaret", "Hamilton", "Hamilton Technologies", "CEO"),
    ("Dennis", "Ritchie", "Bell Labs", "Researcher"),
    ("Ken", "Thompson", "Google", "Distinguished Engineer"),
    ("Frances", "Allen", "IBM", "Fellow"),
)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"prospects-{name}.png"), full_page=True)


def add_people(live: LiveConsole) -> dict[str, int]:
    """Realistic prospects; Ada assigned to the sales user, Grace to a Salesforce rep."""
    ids = {}
    with live.database.session() as session:
        repo = ProspectRepository(session, SystemClock())
        for first, last, company, title in PEOPLE:
            values = {
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "first_name": first,
                "last_name": last,
                "company": company,
                "job_title": title,
                "city": "London",
            }
            ids[first.lower()] = repo.add(values, origin=Origin.USER, actor="seed").id
        repo.assign(ids["ada"], live.users["sales"], origin=Origin.USER, actor="seed")
    return ids


def mapped_rep(live: LiveConsole) -> int:
    with live.database.session(readonly=True) as session:
        reps = [u for u in UserRepository(session).list(active_only=True) if u.crm_user_id]
    assert reps, "users sync --create made no Salesforce-mapped user"
    return reps[0].id


def test_search_prospects_in_place(live_console: LiveConsole, browser_page: Any) -> None:
    add_people(live_console)
    page = browser_page
    sign_in_page(page, live_console.url, "marketing")
    page.goto(f"{live_console.url}/prospects")
    page.wait_for_selector("tr.prospect-row")
    assert page.locator("tr.prospect-row").count() == len(PEOPLE)
    shot(page, "list")
    page.fill("#q", "hopp")
    expect(page.locator("tr.prospect-row")).to_have_count(1)
    assert "grace.hopper@example.com" in page.inner_text("#prospect-results")
    page.wait_for_url("**/prospects?q=hopp*")
    page.fill("#q", "bell")
    expect(page.locator("#prospect-results")).to_contain_text("dennis.ritchie")
    shot(page, "search")


def test_insight_shows_assigned_user_link_why_audit_and_syncs(
    live_console: LiveConsole, browser_page: Any, sandbox: SandboxClient
) -> None:
    ids = add_people(live_console)
    rep = mapped_rep(live_console)
    with live_console.database.session() as session:
        ConnectorRepository(session).pause()  # only the button may push now
    page = browser_page
    sign_in_page(page, live_console.url, "marketing")
    page.goto(f"{live_console.url}/prospects/{ids['grace']}")
    page.select_option("#assign-user", str(rep))
    page.click("#assign-button")
    page.wait_for_selector(".notice")
    assert "Assigned to" in page.inner_text(".notice")
    assert "Salesforce user" in page.inner_text("#assigned-user")
    audit = page.inner_text("#audit")
    assert "assigned_user_id" in audit and "marketing@console.example.com" in audit
    with live_console.database.session(readonly=True) as session:
        rep_name = UserRepository(session).get(rep).name
    assert "Assigned user" in audit and f"→ {rep_name}" in audit  # the name, not the id
    assert "Verdict:" in page.inner_text("#why")
    leads = "SELECT Id FROM Lead WHERE Email = 'grace.hopper@example.com'"
    assert sandbox.api("GET", "/query", params={"q": leads}).json()["totalSize"] == 0

    page.click("#sync-now")
    page.wait_for_selector(".notice")
    assert "In sync with Salesforce" in page.inner_text(".notice")
    records = sandbox.api("GET", "/query", params={"q": leads}).json()["records"]
    assert len(records) == 1
    link = page.get_attribute("#crm-link", "href")
    assert link == f"{sandbox.instance_url}/sandbox/records/{records[0]['Id']}"
    assert records[0]["Id"] in page.inner_text("#why")  # why names the linked lead
    shot(page, "insight")
    record_page = sandbox.http.get(link)
    assert record_page.status_code == 200 and "grace.hopper@example.com" in record_page.text


def test_a_sales_user_sees_only_their_prospects(
    live_console: LiveConsole, browser_page: Any
) -> None:
    ids = add_people(live_console)
    page = browser_page
    sign_in_page(page, live_console.url, "sales")
    page.goto(f"{live_console.url}/prospects")
    page.wait_for_selector("tr.prospect-row")
    assert page.locator("tr.prospect-row").count() == 1
    assert "ada.lovelace@example.com" in page.inner_text("#prospect-results")
    shot(page, "sales-list")
    response = page.goto(f"{live_console.url}/prospects/{ids['grace']}")
    assert response is not None and response.status == 404
    page.goto(f"{live_console.url}/prospects/{ids['ada']}")
    assert "Save changes" not in page.content()
    assert page.locator("#sync-now").count() == 1
