"""Acceptance: the CLI as a person reads it, against the sandbox org (issue 9).

No Python reprs in human output, --json that parses, recycled prospects found by email, a
users sync that explains an empty result, the retry backoff said, and default fields whose
sync behaviour an administrator can change."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli import context
from leadbridge.store.outbox import PUSH, OutboxRepository
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.acceptance.test_push import NO_DATA, Org, org  # noqa: F401
from tests.conftest import SandboxClient

REPRS = ("{'", "[{", "None", "['", "True", "False")


def _no_repr(text: str) -> None:
    assert not [r for r in REPRS if r in text], text


def test_sync_once_and_connector_show_read_as_sentences(org: Org) -> None:  # noqa: F811
    org.prospect("ada@example.com", first_name="Ada")
    printed = org.cli("sync", "once")
    _no_repr(printed)
    assert "API calls this cycle" in printed
    shown = org.cli("connector", "show")
    _no_repr(shown)
    assert "Secrets" in shown and "Settings" in shown and "Salesforce objects described" in shown
    assert org.sandbox.credentials["client_secret"] not in shown
    changed = org.cli("connector", "set", "sync_deletes_and_merges", "false")
    assert changed.strip() == "sync_deletes_and_merges = no"
    again = org.cli.json("connector", "set", "sync_deletes_and_merges", "true")
    assert again["settings"]["sync_deletes_and_merges"] is True
    parsed = json.loads(org.cli("connector", "show", "--json"))
    assert parsed["schemas"]


def test_sync_once_json_counts_the_whole_cycle_once(org: Org) -> None:  # noqa: F811
    org.prospect("ada@example.com", first_name="Ada")
    before = org.usage()
    summary = org.sync()
    assert summary["created"] == 1
    steps = summary["pull"]["api_calls"] + summary["intake"]["crm_calls"]
    steps += summary["push_api_calls"] + summary["mirrors"]["api_calls"]
    assert summary["api_calls"] == steps
    assert org.usage() == before + summary["api_calls"]
    assert "total_api_calls" not in summary


def test_sync_once_says_when_prospects_wait_on_a_retry_backoff(org: Org) -> None:  # noqa: F811
    org.prospect("ada@example.com", first_name="Ada")
    with context.database().session() as session:
        outbox = OutboxRepository(session, context.clock())
        [item] = outbox.pending(PUSH)
        outbox.retry_later(item.id, "UNABLE_TO_LOCK_ROW", timedelta(minutes=2))
    printed = " ".join(org.cli("sync", "once").split())
    assert "1 prospect(s) wait to retry after a temporary Salesforce error" in printed
    assert "(in 2 min)" in printed
    waiting = org.sync()["waiting_on_retry"]
    assert waiting["prospects"] == 1 and waiting["next_due_at"]
    assert org.records("Lead", "ada@example.com") == []  # not due yet: not pushed


def test_prospects_show_finds_a_recycled_prospect_by_email(connected_cli: Cli) -> None:
    added = connected_cli.json("prospects", "add", "gone@example.com", "--first-name", "Gus")
    deleted = connected_cli.json("prospects", "delete", "gone@example.com")
    assert (deleted["id"], deleted["recycled"]) == (added["id"], True)
    printed = connected_cli("prospects", "show", "gone@example.com")
    assert f"Prospect {added['id']}" in printed
    assert "in the recycle bin" in printed
    assert f"leadbridge prospects undelete {added['id']}" in printed
    _no_repr(printed)
    shown = connected_cli.json("prospects", "show", "gone@example.com")
    assert (shown["id"], shown["recycled"]) == (added["id"], True)
    connected_cli("prospects", "show", "never@example.com", code=3)


def test_users_sync_explains_when_nobody_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient
) -> None:
    monkeypatch.chdir(tmp_path)
    context.reset()
    sandbox.control("POST", "/seed", {"users": 2, **NO_DATA})
    cli = Cli(tmp_path / ".leadbridge")
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("connector", "verify")
    printed = " ".join(cli("users", "sync").split())
    seen = len(
        sandbox.server.backend.db.conn.execute(
            'SELECT "Id" FROM "User" WHERE "IsActive" = 1'
        ).fetchall()
    )
    assert f"Saw {seen} active Salesforce user(s); none matched a leadbridge user" in printed
    assert "leadbridge users sync --create" in printed
    created = " ".join(cli("users", "sync", "--create").split())
    assert "Created" in created and "none matched" not in created
    context.reset()


def _edit_lead(org: Org, email: str, **fields: Any) -> None:  # noqa: F811
    lead_id = org.records("Lead", email)[0]["Id"]
    org.sandbox.control(
        "PATCH", f"/records/Lead/{lead_id}", {"fields": fields, "as_user": org.reps[0]}
    )
    time.sleep(1.02 - time.time() % 1)  # a poll reads up to the whole second it starts in


def test_fields_map_changes_a_default_field_s_behaviour(org: Org) -> None:  # noqa: F811
    org.prospect("ada@example.com", first_name="Ada", job_title="CTO")
    org.sync()
    # The default, "use Salesforce's value": a leadbridge edit loses to the record read back.
    org.cli("prospects", "edit", "ada@example.com", "-s", "job_title=CEO")
    _edit_lead(org, "ada@example.com", Phone="+1 555 0101")
    org.sync()
    assert org.cli.json("prospects", "show", "ada@example.com")["job_title"] == "CTO"

    printed = org.cli("fields", "map", "job_title", "--sync-behaviour", "use_leadbridge")
    assert "job_title (Lead.Title and Contact.Title) now syncs with use leadbridge's value" in (
        " ".join(printed.split())
    )
    org.cli("prospects", "edit", "ada@example.com", "-s", "job_title=CEO")
    _edit_lead(org, "ada@example.com", Phone="+1 555 0102")
    org.sync()
    assert org.cli.json("prospects", "show", "ada@example.com")["job_title"] == "CEO"
    assert org.records("Lead", "ada@example.com")[0]["Title"] == "CEO"
    [mapping] = [m for m in org.cli.json("fields", "mappings") if m["field"] == "job_title"]
    assert mapping["behaviour"] == "use_leadbridge"
    org.cli("connector", "verify")  # verifying again keeps the administrator's choice
    [mapping] = [m for m in org.cli.json("fields", "mappings") if m["field"] == "job_title"]
    assert mapping["behaviour"] == "use_leadbridge"


def test_fields_map_keeps_the_fixed_rules(org: Org) -> None:  # noqa: F811
    email = org.cli("fields", "map", "email", "--sync-behaviour", "use_leadbridge", code=2)
    assert "identity" in email
    score = org.cli("fields", "map", "score", "--sync-behaviour", "use_salesforce", code=2)
    assert "leadbridge's own field" in score
    other = org.cli(
        "fields", "map", "job_title", "Phone", "--sync-behaviour", "most_recent", code=2
    )
    assert "fixed" in other
    missing = org.cli("fields", "map", "job_title", code=2)
    assert "--sync-behaviour" in missing
