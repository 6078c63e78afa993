"""Every page of the console's menu, for an administrator, in a real browser: it renders
(200), runs no script the CSP refuses, logs no errors, and gets a screenshot.

With LEADBRIDGE_SCREENSHOTS=DIR (`make screenshots` sets docs/console), the screenshots go
there for docs/console.md; otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tests.acceptance.browser.test_ops_browser import refused_prospect
from tests.acceptance.test_connect_org import Cli
from tests.console import LiveConsole, sign_in_page

REPO = Path(__file__).resolve().parents[3]
DEMO_PROSPECTS = (
    ("ada.lovelace@example.com", "Ada", "Lovelace", "Analytical Engines", "United Kingdom"),
    ("grace.hopper@example.com", "Grace", "Hopper", "Navy Labs", "United States"),
    ("alan.turing@example.com", "Alan", "Turing", "Bletchley Park", "United Kingdom"),
    ("katherine.johnson@example.com", "Katherine", "Johnson", "NASA Langley", "United States"),
    ("edsger.dijkstra@example.com", "Edsger", "Dijkstra", "Mathematisch Centrum", "Netherlands"),
    ("barbara.liskov@example.com", "Barbara", "Liskov", "MIT", "United States"),
)


def _seed(cli: Cli, live: LiveConsole) -> None:
    """Prospects (most assigned and pushed, one Salesforce refuses), a rule, a form handler
    with a submission and an import, so every page has something to show."""
    reps = [user["email"] for user in cli.json("users", "list") if user.get("crm_user_id")]
    for n, (email, first, last, company, country) in enumerate(DEMO_PROSPECTS):
        cli(
            *("prospects", "add", email, "--first-name", first, "--last-name", last),
            *("--company", company, "-s", f"country={country}"),
        )
        if n < 4 and reps:
            cli("prospects", "assign", email, reps[n % len(reps)])
    refused_prospect(live.database)
    cli("sync", "once")
    cli("rules", "add", "US to sales", "--when", "country equals United States",
        "--assign-user", reps[0], "--adjust-score", "10")  # fmt: skip
    form = cli.json("forms", "add", "Contact us", "--field", "work_email=email",
                    "--field", "org=company", "--required", "org")  # fmt: skip
    admin = live.client("admin")
    posted = admin.post(form["path"], data={"work_email": "lin@example.com", "org": "Lin & Co"})
    assert posted.status_code == 200, posted.text
    upload = {"file": ("people.csv", b"email,first_name\nmae@example.com,Mae\nbad,Bad\n")}
    assert admin.post("/imports", files=upload).status_code == 303


def _shots_dir(tmp_path: Path) -> Path:
    chosen = os.environ.get("LEADBRIDGE_SCREENSHOTS")
    # Relative to the repository (the fixtures chdir to a temporary home).
    folder = REPO / chosen if chosen else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def test_every_page_of_the_menu_renders_cleanly(
    connected_cli: Cli, live_console: LiveConsole, browser_page: Any, tmp_path: Path
) -> None:
    _seed(connected_cli, live_console)
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    shots = _shots_dir(tmp_path)

    page.goto(f"{live_console.url}/sign-in")
    page.screenshot(path=str(shots / "sign-in.png"))
    sign_in_page(page, live_console.url, "admin")
    menu = page.eval_on_selector_all(".sidebar .nav a", "links => links.map(a => a.pathname)")
    assert "/account" in menu, menu
    visited = []
    for path in menu:
        response = page.goto(f"{live_console.url}{path}")
        assert response is not None and response.status == 200, (path, response)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / f"{_slug(path)}.png"), full_page=True)
        visited.append(path)
        detail = page.query_selector(f"main table a[href^='{path}/']")
        if detail is not None:
            href = str(detail.get_attribute("href"))
            response = page.goto(f"{live_console.url}{href}")
            assert response is not None and response.status == 200, (href, response)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(shots / f"{_slug(path)}-detail.png"), full_page=True)
    assert problems == [], problems
    assert visited == menu
