"""The seed's first sentence end to end: a prospect reaches Salesforce when it is assigned,
by an automation rule or by a form handler's completion action — and not before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.cli import context
from leadbridge.ports import SystemClock
from tests.acceptance.test_connect_org import Cli
from tests.conftest import SandboxClient


@pytest.fixture
def cli(connected_cli: Cli) -> Cli:
    return connected_cli


def leads_with(sandbox: SandboxClient, email: str) -> list[dict[str, object]]:
    soql = f"SELECT Id, OwnerId, Company FROM Lead WHERE Email = '{email}'"
    return list(sandbox.api("GET", "/query", params={"q": soql}).json()["records"])


def test_an_automation_rule_assigns_and_the_prospect_is_pushed(
    cli: Cli, sandbox: SandboxClient
) -> None:
    rep = sandbox.credentials["username"]
    cli("rules", "add", "Big companies", "--when", "employees greater 500", "--assign-user", rep)
    cli("prospects", "add", "small@example.com", "-s", "employees=20")
    cli("prospects", "add", "big@example.com", "-s", "employees=5000", "--company", "Big Co")
    summary = cli.json("sync", "once")
    assert summary["created"] == 1
    assert leads_with(sandbox, "small@example.com") == []
    [lead] = leads_with(sandbox, "big@example.com")
    owner_query = f"SELECT Id FROM User WHERE Username = '{rep}'"
    admin_id = sandbox.api("GET", "/query", params={"q": owner_query}).json()["records"][0]["Id"]
    assert (lead["OwnerId"], lead["Company"]) == (admin_id, "Big Co")
    assert cli.json("sync", "once")["created"] == 0


def test_a_completion_action_assigns_and_the_prospect_is_pushed(
    cli: Cli, sandbox: SandboxClient
) -> None:
    rep = sandbox.credentials["username"]
    handler = cli.json("forms", "add", "Demo request", "--assign-user", rep)
    with TestClient(create_app(context.database(), SystemClock())) as client:
        posted = client.post(
            handler["path"],
            data={"email": "form@example.com", "company": "Form Co"},
        )
    assert posted.status_code == 200, posted.text
    assert cli.json("sync", "once")["created"] == 1
    [lead] = leads_with(sandbox, "form@example.com")
    assert lead["Company"] == "Form Co"
    why = cli.json("why", "form@example.com")
    assert why["verdict"] == "syncing"
