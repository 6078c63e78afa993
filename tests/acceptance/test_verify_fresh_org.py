"""`connector verify` on an org leadbridge has never seen (the sandbox on its fresh-org schema:
none of leadbridge's fields) names each missing field, what its absence costs, and how to add
them; on an org set up for leadbridge (the default schema) nothing is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from tests.acceptance.test_connect_org import Cli, cli, sandbox_dir
from tests.conftest import SandboxClient

__all__ = ["cli"]  # the fixture, shared with test_connect_org


@pytest.fixture
def fresh_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxClient]:
    data_dir = tmp_path_factory.mktemp("fresh-org")
    config = SandboxConfig(
        data_dir=data_dir, memory=True, schema_file=FRESH_ORG_SCHEMA_FILE, random_seed=7
    )
    with SandboxServer(config) as server:
        yield SandboxClient(server)


def test_verify_on_a_fresh_org_names_each_missing_field_and_its_cost(
    cli: Cli, fresh_org: SandboxClient
) -> None:
    cli("connector", "add", "--sandbox", sandbox_dir(fresh_org))
    report = cli.json("connector", "verify")
    assert report["ok"] is True  # sync runs without them, with less
    missing = {(m["object"], m["field"]): m["consequence"] for m in report["missing_fields"]}
    assert set(missing) == {
        (obj, field)
        for obj in ("Lead", "Contact")
        for field in (
            "LeadBridge_Prospect_Id__c",
            "LeadBridge_Score__c",
            "LeadBridge_Grade__c",
            "LeadBridge_Campaign__c",
        )
    }
    assert "matched by email instead of the key" in missing[("Lead", "LeadBridge_Prospect_Id__c")]
    assert "duplicate lead is possible" in missing[("Lead", "LeadBridge_Prospect_Id__c")]
    assert "score is not written to Salesforce leads" in missing[("Lead", "LeadBridge_Score__c")]
    assert "grade is not written" in missing[("Contact", "LeadBridge_Grade__c")]
    assert "campaign is not written" in missing[("Lead", "LeadBridge_Campaign__c")]
    assert any("sf project deploy start" in p for p in report["problems"])

    human = " ".join(cli("connector", "verify").split())
    assert "Lead has no field LeadBridge_Prospect_Id__c: new leads are created without" in human
    assert "matched by email instead of the key" in human
    assert "Contact has no field LeadBridge_Score__c: the prospect's score is not" in human
    assert "salesforce-metadata/" in human and "docs/org-setup.md" in human
    shown = cli.json("connector", "show")
    assert shown["paused"] is True


def test_verify_on_an_org_set_up_for_leadbridge_finds_nothing_missing(
    cli: Cli, sandbox: SandboxClient
) -> None:
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    report = cli.json("connector", "verify")
    assert report["missing_fields"] == []
    assert not any("LeadBridge_" in p for p in report["problems"])
    human = " ".join(cli("connector", "verify").split())
    assert "has no field LeadBridge_" not in human and "salesforce-metadata" not in human
