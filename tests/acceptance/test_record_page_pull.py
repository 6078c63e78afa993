"""`make run`'s pull demo as a user does it: edit a lead on the sandbox's record page (as a
sales rep would in Salesforce), run a sync, and the prospect has the new value."""

from __future__ import annotations

import time

from tests.acceptance.test_connect_org import Cli
from tests.conftest import SandboxClient


def test_an_edit_on_the_record_page_reaches_the_prospect(
    connected_cli: Cli, sandbox: SandboxClient
) -> None:
    cli = connected_cli
    rep = sandbox.credentials["username"]
    cli("prospects", "add", "page@example.com", "--company", "Page Co", "--last-name", "Page")
    cli("prospects", "assign", "page@example.com", rep)
    assert cli.json("sync", "once")["created"] == 1
    lead_id = cli.json("prospects", "show", "page@example.com")["crm_lead_id"]
    page = sandbox.http.get(f"{sandbox.instance_url}/sandbox/records/{lead_id}")
    assert page.status_code == 200 and "Send to leadbridge" in page.text
    time.sleep(1.1)  # SOQL windows are whole seconds: keep the edit out of the push's second
    posted = sandbox.http.post(
        f"{sandbox.instance_url}/sandbox/records/{lead_id}",
        data={"LastName": "Page", "Company": "Page Co", "Email": "page@example.com",
              "Title": "Head of Growth"},
    )  # fmt: skip
    assert posted.status_code in (200, 303), posted.text
    time.sleep(1.1)
    summary = cli.json("sync", "once")
    assert summary["pull"]["changed_prospects"] == 1
    assert cli.json("prospects", "show", "page@example.com")["job_title"] == "Head of Growth"


def test_a_pulled_change_fires_automation_rules(connected_cli: Cli, sandbox: SandboxClient) -> None:
    cli = connected_cli
    rep = sandbox.credentials["username"]
    cli("rules", "add", "Executives", "--when", "job_title equals CEO", "--adjust-score", "50")
    cli("prospects", "add", "exec@example.com", "--company", "Exec Co", "--last-name", "Exec")
    cli("prospects", "assign", "exec@example.com", rep)
    cli("sync", "once")
    lead_id = cli.json("prospects", "show", "exec@example.com")["crm_lead_id"]
    time.sleep(1.1)
    sandbox.control("PATCH", f"/records/Lead/{lead_id}", {"fields": {"Title": "CEO"}})
    time.sleep(1.1)
    cli("sync", "once")
    shown = cli.json("prospects", "show", "exec@example.com")
    assert (shown["job_title"], shown["score"]) == ("CEO", 50)
    origins = {(entry["field"], entry["origin"]) for entry in shown["history"]}
    assert ("job_title", "salesforce") in origins
    assert ("score", "automation") in origins


def test_mirrors_run_at_most_every_fifteen_minutes_in_the_cycle(connected_cli: Cli) -> None:
    first = connected_cli.json("sync", "once")["mirrors"]
    second = connected_cli.json("sync", "once")["mirrors"]
    assert first["api_calls"] > 0
    assert second["api_calls"] == 0
