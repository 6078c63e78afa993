"""Push, pull and a crash-retry on an org leadbridge has never seen (`sandbox serve
--bare-schema`: none of leadbridge's fields, so no upsert key and no score, grade or campaign
fields): everything syncs, matched by email, and no lead is ever duplicated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli import context
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.acceptance.test_push import Org
from tests.conftest import NO_DATA, SandboxClient

PROSPECTS = 60


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    config = SandboxConfig(
        data_dir=tmp_path_factory.mktemp("bare-schema"),
        memory=True,
        random_seed=7,
        schema_file=FRESH_ORG_SCHEMA_FILE,
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def bare_org(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bare_server: SandboxServer
) -> Iterator[Org]:
    sandbox = SandboxClient(bare_server)
    sandbox.control("POST", "/reset")
    sandbox.control("POST", "/tokens", {"lifetime_seconds": 7200})
    sandbox.control("POST", "/seed", {"users": 2, **NO_DATA})
    monkeypatch.chdir(tmp_path)
    cli = Cli(tmp_path / ".leadbridge")
    for name, value in cli.env.items():
        monkeypatch.setenv(name, value)
    context.reset()
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    report = cli.json("connector", "verify")
    assert {m["field"] for m in report["missing_fields"]} >= {"LeadBridge_Prospect_Id__c"}
    cli("connector", "resume")
    cli("users", "sync", "--create")
    yield Org(cli, sandbox)
    context.reset()


def _emails(count: int) -> list[str]:
    return [f"bare{index:03d}@example.com" for index in range(count)]


def _import(org: Org, emails: list[str], tmp_path: Path) -> None:
    """The prospects, each assigned to the first rep, in one CSV import."""
    rows = ["email,first_name,last_name,company"]
    rows += [f"{email},Ada{n},Lovelace{n},Acme {n}" for n, email in enumerate(emails)]
    path = tmp_path / "prospects.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    org.cli("import", str(path))
    for email in emails:
        org.cli("prospects", "assign", email, org.reps[0])


def _leads_per_email(org: Org) -> Counter[str]:
    rows = org.rows('SELECT lower("Email") AS email FROM "Lead" WHERE "IsDeleted" = 0')
    return Counter(str(row["email"]) for row in rows)


def _no_duplicates(org: Org, emails: list[str]) -> None:
    counts = _leads_per_email(org)
    assert {email: counts[email] for email in emails} == dict.fromkeys(emails, 1)


def test_push_then_a_second_run_creates_each_lead_once(bare_org: Org, tmp_path: Path) -> None:
    emails = _emails(PROSPECTS)
    _import(bare_org, emails, tmp_path)
    first = bare_org.sync()
    assert first["created"] == PROSPECTS
    again = bare_org.sync()
    assert again["created"] == 0
    _no_duplicates(bare_org, emails)
    [lead] = bare_org.records("Lead", emails[7])
    assert (lead["FirstName"], lead["Company"]) == ("Ada7", "Acme 7")
    assert "LeadBridge_Prospect_Id__c" not in lead  # the org really has no key field
    shown = bare_org.cli.json("prospects", "show", emails[7])
    assert lead["Id"] in shown["crm_link"]


def test_a_change_made_in_salesforce_is_pulled(bare_org: Org, tmp_path: Path) -> None:
    emails = _emails(5)
    _import(bare_org, emails, tmp_path)
    bare_org.sync()
    [lead] = bare_org.records("Lead", emails[2])
    bare_org.sandbox.control(
        "PATCH", f"/records/Lead/{lead['Id']}", {"fields": {"Title": "VP Marketing"}}
    )
    bare_org.sync()
    shown = bare_org.cli.json("prospects", "show", emails[2])
    assert shown["job_title"] == "VP Marketing"
    _no_duplicates(bare_org, emails)


def test_a_crash_after_salesforce_wrote_is_retried_without_a_duplicate(
    bare_org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emails = _emails(25)
    _import(bare_org, emails, tmp_path)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed after Salesforce saved, before leadbridge committed")

    with monkeypatch.context() as patched:
        patched.setattr("leadbridge.sync.push.commit.SyncStateRepository.remember", crash)
        with pytest.raises(RuntimeError, match="killed"):
            bare_org.engine().run_once()
    assert sum(_leads_per_email(bare_org)[email] for email in emails) == len(emails)
    retried = bare_org.sync()  # no key field: the retry finds each lead by email
    assert (retried["created"], retried["matched_lead"]) == (0, len(emails))
    _no_duplicates(bare_org, emails)
    for email in (emails[0], emails[-1]):
        [lead] = bare_org.records("Lead", email)
        assert lead["Id"] in bare_org.cli.json("prospects", "show", email)["crm_link"]
