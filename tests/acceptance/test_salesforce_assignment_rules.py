"""Salesforce's lead assignment rules end to end: the org has an active rule (Country →
a sales rep); `prospects assign --salesforce-rule` and an automation rule's
assign_salesforce_rule action leave the choice to it, and the prospect ends up assigned to the
rep the rule chose; an ordinary push keeps the owner leadbridge chose."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.cli import context
from leadbridge.ports import SystemClock
from tests.acceptance.test_connect_org import Cli
from tests.conftest import NO_DATA, SandboxClient


def query(sandbox: SandboxClient, soql: str) -> list[dict[str, Any]]:
    reply = sandbox.api("GET", "/query", params={"q": soql})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["records"])


def reps(sandbox: SandboxClient) -> list[dict[str, Any]]:
    admin = sandbox.credentials["username"]
    return query(
        sandbox,
        "SELECT Id, Username, Email FROM User WHERE IsActive = true "
        f"AND Username != '{admin}' ORDER BY Username",
    )


def make_queue(sandbox: SandboxClient, name: str, owns: str) -> dict[str, str]:
    """A queue made as an administrator does in Setup: the Group, then what it may own."""
    token = sandbox.token()
    made = sandbox.api("POST", "/sobjects/Group", token, json={"Name": name, "Type": "Queue"})
    assert made.status_code == 201, made.text
    queue_id = str(made.json()["id"])
    body = {"QueueId": queue_id, "SobjectType": owns}
    supported = sandbox.api("POST", "/sobjects/QueueSobject", token, json=body)
    assert supported.status_code == 201, supported.text
    return {"Id": queue_id, "Name": name}


def owner_of(sandbox: SandboxClient, email: str) -> str:
    [lead] = query(sandbox, f"SELECT OwnerId FROM Lead WHERE Email = '{email}'")
    return str(lead["OwnerId"])


def test_salesforces_rule_picks_the_owner_and_it_comes_back_as_the_assignment(
    connected_cli: Cli, sandbox: SandboxClient
) -> None:
    cli = connected_cli
    sandbox.control("POST", "/seed", {"users": 2, **NO_DATA})
    cli("users", "sync", "--create")
    france, germany = reps(sandbox)
    rules = {
        "rules": [
            {
                "name": "By country",
                "active": True,
                "entries": [
                    {
                        "criteria": [{"field": "Country", "value": "France"}],
                        "owner_id": france["Id"],
                    },
                    {
                        "criteria": [{"field": "Country", "value": "Germany"}],
                        "owner_id": germany["Id"],
                    },
                ],
            }
        ]
    }
    sandbox.control("PUT", "/assignment-rules", rules)

    # From the CLI.
    cli("prospects", "add", "amelie@example.com", "--company", "Paris SA", "-s", "country=France")
    requested = cli.json("prospects", "assign", "amelie@example.com", "--salesforce-rule")
    assert requested["salesforce_rule_requested"] is True
    assert requested["assigned_user"] is None
    why = cli.json("why", "amelie@example.com")
    assert why["verdict"] != "not_syncing"
    assert "salesforce_rule" in [reason["code"] for reason in why["reasons"]]
    assert cli.json("sync", "once")["created"] == 1
    assert owner_of(sandbox, "amelie@example.com") == france["Id"]
    shown = cli.json("prospects", "show", "amelie@example.com")
    assert shown["assigned_user_crm"] == france["Username"].lower()
    assert shown["crm_owner_id"] == france["Id"]

    # From an automation rule.
    cli("rules", "add", "Germans", "--when", "country equals Germany", "--assign-salesforce-rule")
    cli("prospects", "add", "jonas@example.com", "--company", "Berlin AG", "-s", "country=Germany")
    assert cli.json("sync", "once")["created"] == 1
    assert owner_of(sandbox, "jonas@example.com") == germany["Id"]
    shown = cli.json("prospects", "show", "jonas@example.com")
    assert shown["assigned_user_crm"] == germany["Username"].lower()

    # An ordinary push keeps leadbridge's owner, though the rule would pick another.
    cli("prospects", "add", "kept@example.com", "--company", "Lyon SA", "-s", "country=France")
    cli("prospects", "assign", "kept@example.com", shown["assigned_user"])
    assert cli.json("sync", "once")["created"] == 1
    assert owner_of(sandbox, "kept@example.com") == germany["Id"]
    cli("prospects", "edit", "kept@example.com", "-s", "job_title=CTO")
    cli.json("sync", "once")
    assert owner_of(sandbox, "kept@example.com") == germany["Id"]


def test_a_form_handlers_completion_action_leaves_the_owner_to_the_rule(
    connected_cli: Cli, sandbox: SandboxClient
) -> None:
    cli = connected_cli
    sandbox.control("POST", "/seed", {"users": 1, **NO_DATA})
    cli("users", "sync", "--create")
    [rep] = reps(sandbox)
    every_lead = {"name": "All to one", "entries": [{"criteria": [], "owner_id": rep["Id"]}]}
    sandbox.control("PUT", "/assignment-rules", {"rules": [every_lead]})
    handler = cli.json("forms", "add", "Demo request", "--assign-salesforce-rule")
    with TestClient(create_app(context.database(), SystemClock())) as client:
        posted = client.post(handler["path"], data={"email": "form@example.com"})
    assert posted.status_code == 200, posted.text
    assert cli.json("sync", "once")["created"] == 1
    assert owner_of(sandbox, "form@example.com") == rep["Id"]
    shown = cli.json("prospects", "show", "form@example.com")
    assert shown["assigned_user_crm"] == rep["Username"].lower()


def test_assign_needs_a_user_or_the_salesforce_rule(connected_cli: Cli) -> None:
    connected_cli("prospects", "add", "ada@example.com")
    output = connected_cli("prospects", "assign", "ada@example.com", code=2)
    assert "--salesforce-rule" in output


def test_a_rule_that_picks_a_queue_leaves_the_lead_with_the_queue(
    connected_cli: Cli, sandbox: SandboxClient
) -> None:
    cli = connected_cli
    queue = make_queue(sandbox, "Inbound Leads", "Lead")
    to_queue = {"name": "All to the queue", "entries": [{"criteria": [], "owner_id": queue["Id"]}]}
    sandbox.control("PUT", "/assignment-rules", {"rules": [to_queue]})
    cli("prospects", "add", "queued@example.com", "--company", "Queue Co")
    cli("prospects", "assign", "queued@example.com", "--salesforce-rule")
    assert cli.json("sync", "once")["created"] == 1
    assert owner_of(sandbox, "queued@example.com") == queue["Id"]
    shown = cli.json("prospects", "show", "queued@example.com")
    assert shown["assigned_user"] is None
    assert shown["crm_owner_queue"] == "Inbound Leads"
    assert "owned by queue Inbound Leads" in cli("why", "queued@example.com")
    cli("prospects", "edit", "queued@example.com", "-s", "job_title=CTO")
    cli.json("sync", "once")
    assert owner_of(sandbox, "queued@example.com") == queue["Id"]  # never overwritten


def test_a_rule_owner_must_be_a_user_or_a_queue_that_owns_leads(sandbox: SandboxClient) -> None:
    cases_only = make_queue(sandbox, "Cases only", "Case")
    rule = {"name": "Bad", "entries": [{"criteria": [], "owner_id": cases_only["Id"]}]}
    reply = sandbox.http.put(
        f"{sandbox.instance_url}/__sandbox__/assignment-rules",
        json={"rules": [rule]},
        headers={"X-Sandbox-Token": sandbox.credentials.get("control_token") or ""},
    )
    assert reply.status_code == 400
    assert "cannot own leads" in reply.text
