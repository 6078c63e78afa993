"""The read-only mirrors end to end: Salesforce-side records made as a sales rep would, a push
and `mirrors refresh`, then the CLI shows the accounts, opportunities, campaigns and custom object
records of synced prospects only; later edits arrive on the next cycle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli import context
from leadbridge.store import ConnectorRepository
from leadbridge.store.models import Edition
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import SandboxClient


class AheadClock:
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=2)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    runner = Cli(tmp_path / ".leadbridge")
    runner("connector", "add", "--sandbox", sandbox_dir(sandbox))
    runner("connector", "verify")
    runner("users", "sync", "--create")
    runner("connector", "resume")
    # A cycle reads changes up to its start, to the whole second: run leadbridge's clock a
    # little ahead so that an edit made just before `sync once` is already in its window.
    monkeypatch.setattr(context, "clock", AheadClock)
    yield runner
    context.reset()


def create(sandbox: SandboxClient, object_name: str, **fields: Any) -> str:
    return str(sandbox.control("POST", f"/records/{object_name}", {"fields": fields})["id"])


def test_mirrors_arrive_for_synced_prospects_and_follow_edits(
    cli: Cli, sandbox: SandboxClient
) -> None:
    acme = create(sandbox, "Account", Name="Acme", Industry="Technology")
    other = create(sandbox, "Account", Name="Other Co")
    ada = create(sandbox, "Contact", LastName="Lovelace", Email="ada@example.com", AccountId=acme)
    bob = create(sandbox, "Contact", LastName="Stranger", Email="bob@example.com", AccountId=other)
    deal = create(
        sandbox, "Opportunity", Name="Acme deal", AccountId=acme, StageName="Prospecting",
        Amount=2500, CloseDate="2027-06-30",
    )  # fmt: skip
    create(sandbox, "OpportunityContactRole", OpportunityId=deal, ContactId=ada, IsPrimary=True)
    webinar = create(sandbox, "Campaign", Name="Webinar", IsActive=True)
    create(sandbox, "CampaignMember", CampaignId=webinar, ContactId=ada, Status="Sent")
    create(sandbox, "CampaignMember", CampaignId=webinar, ContactId=bob, Status="Sent")
    create(sandbox, "Subscription__c", Name="SUB-1", Contact__c=ada, Plan__c="Pro")
    create(sandbox, "Subscription__c", Name="SUB-2", Contact__c=bob, Plan__c="Free")
    cli("custom-objects", "enable", "Subscription__c")
    rep = sandbox.credentials["username"].lower()
    [user] = [u for u in cli.json("users", "list") if u["crm_username"] == rep]
    cli("prospects", "add", "ada@example.com")
    cli("prospects", "assign", "ada@example.com", user["email"])
    # one cycle: the push links Ada to her contact, then the mirrors step fills her records
    refreshed = cli.json("sync", "once")["mirrors"]
    assert (refreshed["accounts"], refreshed["campaign_members"]) == (1, 1)

    [account] = cli.json("accounts", "list")
    assert (account["crm_id"], account["name"]) == (acme, "Acme")
    assert cli.json("accounts", "show", acme)["values"]["industry"] == "Technology"
    [opportunity] = cli.json("opportunities", "list", "--prospect", "ada@example.com")
    assert (opportunity["stage"], opportunity["amount"]) == ("Prospecting", 2500.0)
    assert opportunity["roles"][0]["is_primary"] is True
    [campaign] = cli.json("campaigns", "list")
    assert (campaign["name"], campaign["members"]) == ("Webinar", 1)
    assert "Sent" in cli.json("campaigns", "statuses", webinar)
    [record] = cli.json("custom-objects", "records", "Subscription__c")
    assert record["values"]["Plan__c"] == "Pro"

    sandbox.control(
        "PATCH", f"/records/Opportunity/{deal}", {"fields": {"StageName": "Closed Won"}}
    )
    cli("mirrors", "refresh")
    [won] = cli.json("opportunities", "list")
    assert (won["stage"], won["is_won"]) == ("Closed Won", True)


def test_custom_objects_are_refused_on_the_standard_edition(cli: Cli) -> None:
    with context.database().session() as session:
        connector = ConnectorRepository(session)
        config = connector.get()
        assert config is not None
        connector.save(config.__class__(**{**config.__dict__, "edition": Edition.STANDARD}))
    output = cli("custom-objects", "enable", "Subscription__c", code=5)
    assert "Custom objects need the plus or advanced edition" in output
