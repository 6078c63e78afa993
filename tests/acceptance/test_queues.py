"""Queue-owned leads end to end: the CLI against the sandbox org. A lead a Salesforce queue
owns is pulled (or sent to leadbridge) without a warning, shows "owned by queue NAME" in
`why`, `prospects show` and the Insight page, and stays the queue's through leadbridge's
pushes, whoever the prospect is assigned to in leadbridge."""

from __future__ import annotations

import time
from typing import Any

import pytest

from leadbridge.api import create_app
from leadbridge.cli import context
from leadbridge.ports import SystemClock
from tests.acceptance.test_connect_org import Cli
from tests.conftest import SandboxClient
from tests.console import signed_in_client

QUEUE = "Inbound Leads"


@pytest.fixture
def cli(connected_cli: Cli) -> Cli:
    return connected_cli


def make_queue(sandbox: SandboxClient, name: str = QUEUE) -> str:
    """A lead queue, made through the REST API after leadbridge last read the org's queues."""
    created = sandbox.api("POST", "/sobjects/Group", json={"Name": name, "Type": "Queue"})
    assert created.status_code == 201, created.text
    queue_id = str(created.json()["id"])
    body = {"QueueId": queue_id, "SobjectType": "Lead"}
    supports = sandbox.api("POST", "/sobjects/QueueSobject", json=body)
    assert supports.status_code == 201, supports.text
    return queue_id


def lead(sandbox: SandboxClient, email: str) -> dict[str, Any]:
    soql = f"SELECT Id, OwnerId, Title FROM Lead WHERE Email = '{email}'"
    [found] = sandbox.api("GET", "/query", params={"q": soql}).json()["records"]
    return dict(found)


def next_second() -> None:
    """A poll reads up to the whole second it starts in: let the edit's second end."""
    time.sleep(1.02 - time.time() % 1)


def flat(text: str) -> str:
    return " ".join(text.split())


def insight(prospect_id: int) -> str:
    database = context.database()
    with signed_in_client(create_app(database, SystemClock()), database, "admin") as client:
        page = client.get(f"/prospects/{prospect_id}")
    assert page.status_code == 200, page.text
    return flat(page.text)


def test_a_lead_moved_to_a_queue_is_shown_as_the_queues_and_stays_it_through_pushes(
    cli: Cli, sandbox: SandboxClient
) -> None:
    rep = sandbox.credentials["username"]
    cli("prospects", "add", "ada@example.com", "--first-name", "Ada", "--last-name", "Lovelace")
    cli("prospects", "assign", "ada@example.com", rep)
    assert cli.json("sync", "once")["created"] == 1
    lead_id = str(lead(sandbox, "ada@example.com")["Id"])
    queue_id = make_queue(sandbox)
    sandbox.control("PATCH", f"/records/Lead/{lead_id}", {"fields": {"OwnerId": queue_id}})
    next_second()

    summary = cli.json("sync", "once")
    assert summary["pull"]["pulled"] == 1
    assert summary["pull"]["warnings"] == 0  # a queue is no unmapped user
    assert summary["pull"]["owners_changed"] == 0  # nor is the prospect reassigned
    shown = cli.json("prospects", "show", "ada@example.com")
    assert shown["crm_owner_queue"] == QUEUE
    assert shown["assigned_user"] is not None  # still assigned in leadbridge
    assert f"owned by queue {QUEUE}" in flat(cli("prospects", "show", "ada@example.com"))
    why = flat(cli("why", "ada@example.com"))
    assert f"is owned by queue {QUEUE} in Salesforce" in why
    assert "is not pushed" in why  # its leadbridge assignment stays in leadbridge
    assert cli.json("why", "ada@example.com")["verdict"] == "syncing"
    assert f"owned by queue {QUEUE}" in insight(int(shown["id"]))
    assert cli.json("errors", "list") == []

    cli("prospects", "edit", "ada@example.com", "-s", "job_title=CTO")
    pushed = cli.json("sync", "once")
    assert pushed["updated"] == 1
    after = lead(sandbox, "ada@example.com")
    assert (after["Title"], after["OwnerId"]) == ("CTO", queue_id)
    assert cli.json("sync", "once")["updated"] == 0  # nothing echoes back
    assert lead(sandbox, "ada@example.com")["OwnerId"] == queue_id


def test_a_queue_owned_lead_sent_to_leadbridge_is_taken_in_without_a_warning(
    cli: Cli, sandbox: SandboxClient
) -> None:
    queue_id = make_queue(sandbox, "Partner Leads")
    fields = {"LastName": "Hopper", "Company": "Navy", "Email": "grace@example.com"}
    lead_id = str(
        sandbox.control("POST", "/records/Lead", {"fields": {**fields, "OwnerId": queue_id}})["id"]
    )
    report = cli.json("pull", lead_id)
    [result] = report["results"]
    assert result["status"] == "created", result
    assert "warnings" not in result  # none
    assert report["crm_calls"] == 2  # the lead, and the queues once (a queue it did not know)
    shown = cli.json("prospects", "show", "grace@example.com")
    assert (shown["crm_owner_queue"], shown["assigned_user"]) == ("Partner Leads", None)
    why = cli.json("why", "grace@example.com")
    assert why["verdict"] == "syncing"
    assert any("owned by queue Partner Leads" in r["message"] for r in why["reasons"])
    assert not any(r["code"] == "not_assigned" for r in why["reasons"])
    assert "Unassigned in leadbridge" in insight(int(shown["id"]))


def test_users_sync_reads_the_queue_names_so_taking_a_lead_in_costs_no_extra_call(
    cli: Cli, sandbox: SandboxClient
) -> None:
    queue_id = make_queue(sandbox, "Web Leads")
    cli("users", "sync")
    fields = {"LastName": "Byron", "Company": "Poets", "Email": "byron@example.com"}
    lead_id = sandbox.control("POST", "/records/Lead", {"fields": {**fields, "OwnerId": queue_id}})
    report = cli.json("pull", str(lead_id["id"]))
    assert report["crm_calls"] == 1  # the lead only: the queue's name was known
    assert cli.json("prospects", "show", "byron@example.com")["crm_owner_queue"] == "Web Leads"
