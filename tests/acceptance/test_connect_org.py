"""Connecting an org end to end through the CLI: add, verify, users sync, fields add and map."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadbridge.cli import context
from leadbridge.cli.main import app
from tests.conftest import SandboxClient


class Cli:
    def __init__(self, home: Path) -> None:
        self.runner = CliRunner()
        self.env = {
            "LEADBRIDGE_HOME": str(home),
            "LEADBRIDGE_DATABASE_URL": "",
            "LEADBRIDGE_SECRET_KEY": "",
        }

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, result.output
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Cli(tmp_path / ".leadbridge")
    context.reset()


def sandbox_dir(sandbox: SandboxClient) -> str:
    return str(Path(sandbox.credentials["ca_file"]).parent)


def test_connect_verify_and_default_mappings(cli: Cli, sandbox: SandboxClient) -> None:
    added = cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    assert "paused" in added
    assert sandbox.credentials["client_secret"] not in added
    report = cli.json("connector", "verify")
    assert report["ok"] is True
    assert {"Lead", "Contact", "Account", "Opportunity", "Campaign", "User"} <= set(
        report["objects"]
    )
    mapped = {m["field"]: m for m in report["mappings"]}
    assert (mapped["company"]["lead_field"], mapped["company"]["contact_field"]) == (
        "Company",
        "Account.Name",
    )
    assert mapped["opted_out"]["behaviour"] == "most_recent"
    assert mapped["score"]["lead_field"] == "LeadBridge_Score__c"
    assert mapped["department"]["lead_field"] is None
    shown = cli.json("connector", "show")
    assert shown["paused"] is True and shown["verified_at"]
    assert sandbox.credentials["password"] not in json.dumps(shown)


def test_settings_are_validated(cli: Cli, sandbox: SandboxClient) -> None:
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("connector", "set", "poll_interval_seconds", "30")
    assert cli.json("connector", "show")["settings"]["poll_interval_seconds"] == 30
    refused = cli("connector", "set", "poll_interval_seconds", "2", code=2)
    assert "between 5 and 3600" in refused
    cli("connector", "resume")
    assert cli.json("connector", "show")["paused"] is False


def test_users_sync_matches_by_email_and_creates_on_request(
    cli: Cli, sandbox: SandboxClient
) -> None:
    sandbox.control(
        "POST",
        "/seed",
        {
            "users": 3,
            "leads": 0,
            "contacts": 0,
            "accounts": 0,
            "opportunities": 0,
            "campaign_members": 0,
            "subscriptions": 0,
        },
    )
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("connector", "verify")
    reps = cli.json("users", "sync")
    assert reps["created"] == [] and len(reps["unmatched"]) == 4  # admin + 3 reps
    first = reps["unmatched"][0]
    cli("users", "add", first["email"].upper(), "--name", "Known Rep")
    synced = cli.json("users", "sync", "--create")
    assert [u["email"].lower() for u in synced["matched"]] == [first["email"].lower()]
    assert len(synced["created"]) == 3
    listed = cli.json("users", "list")
    assert all(user["crm_username"] for user in listed)


def test_users_map_is_one_to_one(cli: Cli, sandbox: SandboxClient) -> None:
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("users", "add", "a@example.com", "--name", "A")
    cli("users", "add", "b@example.com", "--name", "B")
    cli("users", "map", "a@example.com", sandbox.credentials["username"])
    refused = cli("users", "map", "b@example.com", sandbox.credentials["username"], code=4)
    assert "a@example.com" in refused


def test_custom_fields_map_to_the_same_api_name_on_lead_and_contact(
    cli: Cli, sandbox: SandboxClient
) -> None:
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("fields", "add", "preferred_language", "--type", "dropdown")
    refused = cli("fields", "map", "preferred_language", "Preferred_Language__c", code=5)
    assert "connector verify" in refused
    cli("connector", "verify")
    cli("fields", "map", "preferred_language", "Preferred_Language__c", "--picklist-values")
    fields = {f["name"]: f for f in cli.json("fields", "list")}
    assert fields["preferred_language"]["crm_field"] == "Preferred_Language__c"
    assert fields["preferred_language"]["options"][:2] == ["English", "French"]
    cli("fields", "add", "segment", "--type", "text")
    lookup = cli("fields", "map", "segment", "OwnerId", code=2)
    assert "lookup" in lookup
    missing = cli("fields", "map", "segment", "Subscription__c", code=2)
    assert "no field Subscription__c" in missing
    taken = cli("fields", "map", "segment", "Preferred_Language__c", code=4)
    assert "already mapped" in taken
    wrong_type = cli(
        "fields", "add", "vip", "--type", "checkbox", "--crm-field", "MobilePhone", code=2
    )
    assert "cannot hold checkbox values" in wrong_type
    assert "vip" not in {f["name"] for f in cli.json("fields", "list")}
