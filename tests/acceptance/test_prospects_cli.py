"""The marketing side through the CLI: prospects are added, edited, assigned, deleted, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadbridge.cli import context
from tests.acceptance.test_connect_org import Cli


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Cli(tmp_path / ".leadbridge")
    context.reset()


def test_prospect_lifecycle_is_audited(cli: Cli) -> None:
    created = cli.json(
        "prospects", "add", " Ada@Example.com ", "--first-name", "Ada", "-s", "job_title=CTO"
    )
    assert created["email"] == "Ada@Example.com"
    assert "not in Salesforce" in created["crm_link"]
    duplicate = cli("prospects", "add", "ada@example.COM", code=4)
    assert "already has the email" in duplicate
    cli("users", "add", "rep@example.com", "--name", "Rep", "--role", "sales")
    cli("prospects", "assign", "ada@example.com", "rep@example.com")
    cli("prospects", "edit", "ada@example.com", "-s", "phone=+1 555 0100", "-s", "job_title=CTO")
    shown = cli.json("prospects", "show", "ADA@example.com")
    assert shown["assigned_user"] == "rep@example.com"
    assert shown["phone"] == "+1 555 0100"
    changes = [(entry["field"], entry["new"], entry["origin"]) for entry in shown["history"]]
    assert ("phone", "+1 555 0100", "user") in changes
    assert not any(field == "job_title" for field, _, _ in changes)  # unchanged: not logged
    assert [row["email"] for row in cli.json("prospects", "list")] == ["Ada@Example.com"]
    cli("prospects", "delete", "ada@example.com")
    assert cli.json("prospects", "list") == []
    assert cli.json("prospects", "list", "--recycled")[0]["recycled"] is True
    cli("prospects", "add", "ada@example.com")
    refused = cli("prospects", "undelete", str(created["id"]), code=4)
    assert "ada@example.com" in refused.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prospects", "add", "not-an-email"], "not a valid email address"),
        (["prospects", "add", "a@example.com", "-s", "score=high"], "score"),
        (["prospects", "add", "a@example.com", "-s", "favourite=blue"], "favourite"),
        (["prospects", "add", "a@example.com", "-s", "noequals"], "FIELD=VALUE"),
    ],
)
def test_bad_input_names_the_item(cli: Cli, args: list[str], message: str) -> None:
    assert message in cli(*args, code=2)
    assert cli.json("prospects", "list") == []


def test_rules_run_when_a_prospect_is_added_or_edited(cli: Cli) -> None:
    cli("users", "add", "fr@example.com", "--name", "French rep", "--role", "sales")
    cli(
        "rules",
        "add",
        "France to FR rep",
        "--when",
        "country equals France",
        "--assign-user",
        "fr@example.com",
    )
    added = cli.json("prospects", "add", "paris@example.com", "-s", "country=France")
    assert added["assigned_user"] == "fr@example.com"
    other = cli.json("prospects", "add", "rome@example.com", "-s", "country=Italy")
    assert other["assigned_user"] is None
    edited = cli.json("prospects", "edit", "rome@example.com", "-s", "country=France")
    assert edited["assigned_user"] == "fr@example.com"
    history = cli.json("prospects", "show", "rome@example.com")["history"]
    assert any(entry["origin"] == "automation" for entry in history)


def test_the_listing_a_person_reads_shows_who_and_where(cli: Cli) -> None:
    cli("users", "add", "rep@example.com", "--name", "Rep", "--role", "sales")
    cli("prospects", "add", "ada@example.com", "--first-name", "Ada", "-s", "company=Acme")
    cli("prospects", "add", "bob@example.com", "-s", "last_name=Byte")
    cli("prospects", "add", "cy@example.com")
    cli("prospects", "assign", "ada@example.com", "rep@example.com")
    cli("prospects", "delete", "cy@example.com")
    listed = cli("prospects", "list")
    assert "ada@example.com" in listed and "bob@example.com" in listed
    assert "cy@example.com" not in listed
    ada = next(line for line in listed.splitlines() if "ada@example.com" in line)
    assert "Ada" in ada and "Acme" in ada and "rep@example.com" in ada
    assert "waiting for its" in ada
    mine = cli("prospects", "list", "--assigned-to", "REP@example.com")
    assert "ada@example.com" in mine and "bob@example.com" not in mine
    assert "cy@example.com" in cli("prospects", "list", "--recycled")
    assert "ada@example.com" not in cli("prospects", "list", "--after", "1")
    missing = cli("prospects", "list", "--assigned-to", "nobody@example.com", code=3)
    assert "no leadbridge user with the email 'nobody@example.com'" in missing
    assert "between 1 and 10000" in cli("prospects", "list", "--limit", "0", code=2)


def test_a_listing_the_quick_read_cannot_make_is_read_the_full_way(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from leadbridge.store import quick_reads

    cli("prospects", "add", "ada@example.com")

    def locked(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(quick_reads, "prospect_page", locked)
    assert "ada@example.com" in cli("prospects", "list")


def test_names_that_look_like_markup_are_shown_as_written(cli: Cli) -> None:
    """Names and values come from website forms, CSV files and Salesforce: text such as
    `[/x]` is data to show, not Rich markup to apply (it stopped `prospects list`)."""
    company, first = "[/x][b]", "[red]Z"
    cli("users", "add", "rep@example.com", "--name", "Rep [/r]", "--role", "sales")
    added = cli(
        "prospects", "add", "z@example.com", "-s", f"company={company}", "-s", f"first_name={first}"
    )
    assert "z@example.com" in added
    assert "rep@example.com" in cli("prospects", "assign", "z@example.com", "rep@example.com")
    wide = cli("prospects", "list").replace("│", " ")
    assert company in wide and first in wide
    assert company in cli("prospects", "show", "z@example.com")
    assert "Rep [/r]" in cli("users", "list")
    rule = cli(
        "rules",
        "add",
        "Hot [/h]",
        "--when",
        "company equals [/x]",
        "--assign-user",
        "rep@example.com",
    )
    assert "Hot [/h]" in rule
    shown = cli("rules", "show", "1")
    assert "Hot [/h]" in shown and "[/x]" in shown
    assert "Hot [/h]" in cli("rules", "list").replace("│", " ")
    assert "[/g]" in cli("groups", "add", "Team [/g]", "--member", "rep@example.com")
    assert "Team [/g]" in cli("groups", "list").replace("│", " ")
