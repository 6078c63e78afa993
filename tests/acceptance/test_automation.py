"""Automation through the CLI: rules previewed, switched on and run; round-robin groups;
once-per-prospect and repeating rules; assignment that makes the push engine push."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli import context
from leadbridge.ports import SystemClock
from leadbridge.store import OutboxRepository, open_database
from tests.acceptance.test_connect_org import Cli


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Cli(tmp_path / ".leadbridge")
    context.reset()


def prospect(cli: Cli, email: str) -> dict[str, Any]:
    return dict(cli.json("prospects", "show", email))


def pending_pushes(home: Path) -> list[tuple[int | None, str]]:
    db = open_database(f"sqlite:///{home / 'leadbridge.sqlite3'}")
    try:
        with db.session(readonly=True) as session:
            items = OutboxRepository(session, SystemClock()).pending("push")
            return [(item.prospect_id, item.reason) for item in items]
    finally:
        db.dispose()


def test_a_rule_assigns_matching_prospects_and_never_reassigns(cli: Cli, tmp_path: Path) -> None:
    cli("users", "add", "rep@example.com", "--role", "sales")
    cli("users", "add", "other@example.com", "--role", "sales")
    ada = cli.json("prospects", "add", "ada@example.com", "-s", "country=France")
    cli("prospects", "add", "bob@example.com", "-s", "country=Germany")
    cli("prospects", "add", "cleo@example.com", "-s", "country=france")
    cli("prospects", "assign", "cleo@example.com", "other@example.com")
    added = cli.json("rules", "add", "France to rep", "--when", "country equals France",
                     "--assign-user", "rep@example.com", "--paused")  # fmt: skip
    assert added["active"] is False and added["then"] == [
        "assign to user rep@example.com (if unassigned)"
    ]
    preview = cli.json("rules", "preview", "France to rep")
    assert (preview["matching"], preview["would_fire"]) == (2, 2)
    assert [row["email"] for row in preview["sample"]] == ["ada@example.com", "cleo@example.com"]
    assert "paused" in cli("rules", "run", "France to rep", code=2)
    cli("rules", "resume", "France to rep")
    report = cli.json("rules", "run", "France to rep")
    assert (report["prospects"], report["matched"], report["fired"]) == (3, 2, 2)
    assert prospect(cli, "ada@example.com")["assigned_user"] == "rep@example.com"
    assert prospect(cli, "bob@example.com")["assigned_user"] is None
    assert prospect(cli, "cleo@example.com")["assigned_user"] == "other@example.com"
    history = prospect(cli, "ada@example.com")["history"]
    assert (history[0]["field"], history[0]["origin"], history[0]["actor"]) == (
        "assigned_user_id",
        "automation",
        "France to rep",
    )
    assert (ada["id"], "assigned") in pending_pushes(tmp_path / ".leadbridge")


def test_round_robin_over_a_group(cli: Cli) -> None:
    for email in ("ana@example.com", "ben@example.com"):
        cli("users", "add", email, "--role", "sales")
    group = cli.json("groups", "add", "EMEA", "--member", "ana@example.com", "--member",
                     "ben@example.com")  # fmt: skip
    assert group["next"] == "ana@example.com"
    emails = [f"p{i}@example.com" for i in range(5)]
    for email in emails:
        cli("prospects", "add", email)
    cli("rules", "add", "Spread", "--when", "assigned is false", "--assign-group", "EMEA")
    cli("rules", "run")
    assert [prospect(cli, email)["assigned_user"] for email in emails] == [
        "ana@example.com",
        "ben@example.com",
        "ana@example.com",
        "ben@example.com",
        "ana@example.com",
    ]
    assert cli.json("groups", "list")[0]["next"] == "ben@example.com"
    assert "ben@example.com" in cli("groups", "list")


def test_once_per_prospect_versus_repeat(cli: Cli) -> None:
    cli("prospects", "add", "ada@example.com")
    cli("prospects", "add", "bob@gmail.com")
    cli("rules", "add", "Once", "--when", "email_domain is example.com", "--adjust-score", "10")
    cli("rules", "add", "Every", "--when", "email_domain is example.com", "--repeat",
        "--adjust-score", "1")  # fmt: skip
    for _ in range(3):
        cli("rules", "run")
    assert prospect(cli, "ada@example.com")["score"] == 10 + 3
    assert prospect(cli, "bob@gmail.com")["score"] == 0
    shown = cli.json("rules", "show", "Once")
    assert (shown["repeat"], shown["fired_for"]) == (False, 1)
    assert cli.json("rules", "show", "Every")["repeat_after_days"] == 0


def test_rules_can_be_listed_paused_and_deleted(cli: Cli) -> None:
    criteria = '[{"field": "score", "op": "greater", "value": 50}]'
    actions = '[{"type": "sync_with_crm"}, {"type": "set_do_not_sync"}]'
    cli("rules", "add", "Hot", "--criteria-json", criteria, "--actions-json", actions,
        "--when", "grade is A", "--match", "any")  # fmt: skip
    [listed] = cli.json("rules", "list")
    assert listed["when"] == "score greater 50 or grade equals 'A'"
    assert listed["then"] == ["sync with Salesforce", "set do-not-sync"]
    assert "Hot" in cli("rules", "list") and "fires once per prospect" in cli("rules", "show", "1")
    assert "paused" in cli("rules", "pause", "Hot")
    assert cli.json("rules", "show", "Hot")["active"] is False
    cli("rules", "delete", "Hot")
    assert cli.json("rules", "list") == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--when", "colour equals red", "--sync-with-crm"], 2, "criteria[0].field"),
        (["--when", "score contains 5", "--sync-with-crm"], 2, "does not apply to score"),
        (["--when", "score greater lots", "--sync-with-crm"], 2, "not a number"),
        (["--when", "country is_blank"], 2, "one or more actions"),
        (["--when", "country is_blank", "--assign-user", "ghost@example.com"], 2, "no leadbridge"),
        (["--when", "country is_blank", "--assign-group", "Ghosts"], 2, "no user group"),
        (["--when", "country is_blank", "--add-to-campaign", "701"], 2, "CAMPAIGN_ID:STATUS"),
        (["--criteria-json", "{", "--sync-with-crm"], 2, "not valid JSON"),
        (["--when", "country is_blank", "--sync-with-crm", "--repeat-after-days", "3"], 2,
         "goes with --repeat"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_the_reason(
    cli: Cli, args: list[str], code: int, message: str
) -> None:
    assert message in cli("rules", "add", "Bad", *args, code=code)
    assert cli.json("rules", "list") == []
    assert "no automation rule" in cli("rules", "show", "Bad", code=3)
