"""Pushing prospects to the sandbox org through the CLI and the real Salesforce client.

Each test connects leadbridge to a freshly reset org with two sales reps (mapped to
leadbridge users), then drives `leadbridge prospects …` and `leadbridge sync …` and looks
at the org directly (`sandbox.server.backend`) to see what Salesforce holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli import context
from leadbridge.domain.fields import FieldType, SyncBehaviour
from leadbridge.ports import CrmClient
from leadbridge.store import (
    CustomFieldRepository,
    FieldMappingRepository,
    SyncError,
    SyncErrorRepository,
)
from leadbridge.store.campaign_requests import CampaignRequestRepository
from leadbridge.sync import PushEngine
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import NO_DATA, SandboxClient


class Org:
    """The connected sandbox org, seen from the test."""

    def __init__(self, cli: Cli, sandbox: SandboxClient) -> None:
        self.cli = cli
        self.sandbox = sandbox
        self.conn = sandbox.server.backend.db.conn
        reps = self.rows('SELECT "Username" FROM "User" WHERE "IsActive" = 1 ORDER BY "Username"')
        admin = sandbox.credentials["username"].lower()
        self.reps = [str(row["Username"]) for row in reps if str(row["Username"]).lower() != admin]

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def records(self, object_name: str, email: str) -> list[dict[str, Any]]:
        return self.rows(
            f'SELECT * FROM "{object_name}" WHERE "IsDeleted" = 0 AND lower("Email") = lower(?)',
            email,
        )

    def user_id(self, username: str) -> str:
        return str(self.rows('SELECT "Id" FROM "User" WHERE "Username" = ?', username)[0]["Id"])

    def create(self, object_name: str, fields: dict[str, Any], **extra: Any) -> str:
        body = {"fields": fields, "as_user": self.reps[0], **extra}
        return str(self.sandbox.control("POST", f"/records/{object_name}", body)["id"])

    def usage(self) -> int:
        return int(self.sandbox.control("GET", "/usage")["used"])

    def prospect(self, email: str, *, assign: bool = True, **values: str) -> None:
        self.cli("prospects", "add", email, *[f"-s{k}={v}" for k, v in values.items()])
        if assign:
            self.cli("prospects", "assign", email, self.reps[0])

    def sync(self) -> dict[str, Any]:
        result: dict[str, Any] = self.cli.json("sync", "once")
        return result

    def sync_one(self, email: str) -> dict[str, Any]:
        result: dict[str, Any] = self.cli.json("sync", "prospect", email)
        return result

    def errors(self, email: str) -> list[dict[str, Any]]:
        """The prospect's open sync errors, after a manual sync (a retry)."""
        return list(self.sync_one(email)["errors"])

    def open_errors(self, email: str) -> list[SyncError]:
        """The prospect's open sync errors, read from the store (no sync)."""
        with context.database().session() as session:
            found = SyncErrorRepository(session, context.clock()).for_prospect(
                self.prospect_id(email)
            )
        return [error for error in found if error.resolved_at is None]

    def prospect_id(self, email: str) -> int:
        return int(self.cli.json("prospects", "show", email)["id"])

    def engine(self, crm: CrmClient | None = None) -> PushEngine:
        """The push engine as the CLI builds it, in this process (optionally another client)."""
        client = crm or context.connector_service().client()
        return PushEngine(context.database(), client, context.clock())

    def lead_status_field(self) -> None:
        """A custom field mapped to Lead.Status only (Contact has no such field)."""
        with context.database().session() as session:
            CustomFieldRepository(session).add("lead_status", "Lead Status", FieldType.TEXT)
            FieldMappingRepository(session).upsert(
                "lead_status",
                lead_field="Status",
                contact_field=None,
                behaviour=SyncBehaviour.USE_LEADBRIDGE,
            )


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient) -> Iterator[Org]:
    monkeypatch.chdir(tmp_path)
    cli = Cli(tmp_path / ".leadbridge")
    for name, value in cli.env.items():
        monkeypatch.setenv(name, value)
    context.reset()
    sandbox.control("POST", "/seed", {"users": 2, **NO_DATA})
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("connector", "verify")
    cli("connector", "resume")
    cli("users", "sync", "--create")
    yield Org(cli, sandbox)
    context.reset()


def test_an_unassigned_prospect_stays_local(org: Org) -> None:
    org.prospect("ada@example.com", assign=False, first_name="Ada")
    before = org.usage()
    summary = org.sync()
    assert summary["pushed"] == 0
    assert summary["push_api_calls"] == 0
    polls = summary["pull"]["api_calls"] + summary["intake"]["crm_calls"]
    polls += summary["mirrors"]["api_calls"]
    assert summary["api_calls"] == polls  # the whole cycle: only the polls, no write
    assert org.usage() == before + summary["api_calls"]
    assert org.records("Lead", "ada@example.com") == []
    manual = org.sync_one("ada@example.com")
    assert manual["in_sync"] is False
    assert any("not assigned" in blocker for blocker in manual["blockers"])
    assert org.records("Lead", "ada@example.com") == []


def test_assignment_creates_a_lead_owned_by_the_mapped_user(org: Org) -> None:
    org.prospect("ada@example.com", first_name="Ada", job_title="CTO", score="42")
    summary = org.sync()
    assert (summary["pushed"], summary["created"], summary["errors"]) == (1, 1, 0)
    [lead] = org.records("Lead", "ada@example.com")
    assert lead["OwnerId"] == org.user_id(org.reps[0])
    assert (lead["FirstName"], lead["Title"], lead["LeadBridge_Score__c"]) == ("Ada", "CTO", 42)
    assert lead["Company"] == "[not provided]"
    assert lead["LastName"] == "ada"
    assert lead["LeadBridge_Prospect_Id__c"].startswith("lb-")
    shown = org.cli.json("prospects", "show", "ada@example.com")
    assert lead["Id"] in shown["crm_link"]


def test_a_second_run_creates_nothing_and_costs_at_most_two_calls(org: Org) -> None:
    for number in range(3):
        org.prospect(f"p{number}@example.com", company="Acme")
    assert org.sync()["created"] == 3
    again = org.sync()
    assert (again["pushed"], again["created"]) == (0, 0)
    assert again["push_api_calls"] <= 2
    forced = org.sync_one("p0@example.com")
    assert forced["in_sync"] is True
    assert forced["summary"]["unchanged"] == 1
    assert forced["summary"]["api_calls"] <= 2
    assert len(org.records("Lead", "p0@example.com")) == 1


def test_a_contact_match_wins_over_a_lead_match(org: Org) -> None:
    contact = org.create("Contact", {"LastName": "Hopper", "Email": "Grace@Example.com"})
    org.create("Lead", {"LastName": "Hopper", "Company": "Navy", "Email": "grace@example.com"})
    org.prospect("grace@example.com", job_title="Rear Admiral")
    summary = org.sync()
    assert (summary["matched_contact"], summary["matched_lead"], summary["created"]) == (1, 0, 0)
    [record] = org.records("Contact", "grace@example.com")
    assert record["Id"] == contact
    assert record["Title"] == "Rear Admiral"  # Salesforce had none: ours fills it
    assert record["OwnerId"] == org.user_id(org.reps[0])  # untouched: the rep who made it
    assert len(org.records("Lead", "grace@example.com")) == 1
    assert contact in org.cli.json("prospects", "show", "grace@example.com")["crm_link"]


def test_a_lead_match_wins_over_creation_and_keeps_its_owner(org: Org) -> None:
    lead = org.create(
        "Lead",
        {"LastName": "Lovelace", "Company": "Analytical", "Email": "ada@example.com"},
        as_user=org.reps[1],
    )
    org.prospect("ada@example.com", company="Ignored: Salesforce has one", first_name="Ada")
    summary = org.sync()
    assert (summary["matched_lead"], summary["created"], summary["updated"]) == (1, 0, 1)
    [record] = org.records("Lead", "ada@example.com")
    assert record["Id"] == lead
    assert record["OwnerId"] == org.user_id(org.reps[1])
    assert (record["Company"], record["FirstName"]) == ("Analytical", "Ada")


def test_duplicate_contacts_pick_the_most_recent_and_warn(org: Org) -> None:
    older = org.create("Contact", {"LastName": "Older", "Email": "dup@example.com"})
    org.sandbox.control("POST", "/clock", {"advance_seconds": 60})
    newer = org.create("Contact", {"LastName": "Newer", "Email": "dup@example.com"})
    org.prospect("dup@example.com")
    summary = org.sync()
    assert (summary["matched_contact"], summary["warnings"]) == (1, 1)
    shown = org.cli.json("prospects", "show", "dup@example.com")
    assert newer in shown["crm_link"]
    [warning] = org.errors("dup@example.com")
    assert warning["code"] == "MULTIPLE_MATCHES"
    assert older in warning["message"]


class _HidingLeads:
    """The real client, except that email lookups on Lead find nothing: as if the lead a
    crashed run created were not visible to the retry's matching."""

    def __init__(self, crm: CrmClient) -> None:
        self.crm = crm

    def __getattr__(self, name: str) -> Any:
        return getattr(self.crm, name)

    def find_by_emails(self, object_name: str, *args: Any, **kwargs: Any) -> list[Any]:
        if object_name == "Lead":
            return []
        return list(self.crm.find_by_emails(object_name, *args, **kwargs))


def _crash_after_salesforce_wrote(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed after Salesforce saved, before leadbridge committed")

    with monkeypatch.context() as patched:
        patched.setattr("leadbridge.sync.push.commit.SyncStateRepository.remember", crash)
        with pytest.raises(RuntimeError, match="killed"):
            org.engine().run_once()
    assert len(org.records("Lead", "ada@example.com")) == 1
    assert "00Q" not in org.cli.json("prospects", "show", "ada@example.com")["crm_link"]


def test_a_crash_between_the_write_and_the_commit_creates_no_duplicate(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.prospect("ada@example.com", first_name="Ada")
    _crash_after_salesforce_wrote(org, monkeypatch)
    retried = org.sync()  # the outbox item is still pending: the retry matches the lead
    assert (retried["pushed"], retried["created"], retried["matched_lead"]) == (1, 0, 1)
    [lead] = org.records("Lead", "ada@example.com")
    assert lead["Id"] in org.cli.json("prospects", "show", "ada@example.com")["crm_link"]


def test_the_upsert_key_alone_prevents_a_duplicate_after_a_crash(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.prospect("ada@example.com", first_name="Ada")
    _crash_after_salesforce_wrote(org, monkeypatch)
    blind = org.engine(_HidingLeads(context.connector_service().client()))
    retried = blind.run_once()  # matching misses the lead: the create is an upsert on the key
    assert (retried.pushed, retried.created, retried.updated) == (1, 0, 1)
    [lead] = org.records("Lead", "ada@example.com")
    assert lead["Id"] in org.cli.json("prospects", "show", "ada@example.com")["crm_link"]


def test_campaign_membership_requested_before_the_first_push(org: Org) -> None:
    campaign = org.create("Campaign", {"Name": "Webinar"})
    org.prospect("eve@example.com", assign=False)
    with context.database().session() as session:
        requests = CampaignRequestRepository(session, context.clock())
        requests.request(org.prospect_id("eve@example.com"), campaign, "responded")
    assert org.sync()["campaign_members_added"] == 0  # not assigned: not in Salesforce yet
    org.cli("prospects", "assign", "eve@example.com", org.reps[0])
    first = org.sync()
    assert (first["created"], first["campaign_members_added"]) == (1, 1)
    [lead] = org.records("Lead", "eve@example.com")
    members = org.rows('SELECT * FROM "CampaignMember" WHERE "LeadId" = ?', lead["Id"])
    assert [(m["CampaignId"], m["Status"]) for m in members] == [(campaign, "Responded")]
    with context.database().session() as session:
        requests = CampaignRequestRepository(session, context.clock())
        requests.request(org.prospect_id("eve@example.com"), campaign, "Sent")
    again = org.sync()
    assert (again["campaign_members_added"], again["campaign_members_updated"]) == (0, 1)
    assert org.rows('SELECT "Status" FROM "CampaignMember" WHERE "LeadId" = ?', lead["Id"]) == [
        {"Status": "Sent"}
    ]
    with context.database().session() as session:
        requests = CampaignRequestRepository(session, context.clock())
        requests.request(org.prospect_id("eve@example.com"), campaign, "Attended")
    refused = org.sync()
    assert refused["errors_by_kind"] == {"data": 1}
    [error] = org.errors("eve@example.com")
    assert "'Sent', 'Responded'" in error["message"]
    assert error["crm_object"] == "CampaignMember"


def test_an_existing_member_is_not_an_error(org: Org) -> None:
    campaign = org.create("Campaign", {"Name": "Trade show"})
    contact = org.create("Contact", {"LastName": "Member", "Email": "m@example.com"})
    org.create("CampaignMember", {"CampaignId": campaign, "ContactId": contact, "Status": "Sent"})
    org.prospect("m@example.com")
    with context.database().session() as session:
        requests = CampaignRequestRepository(session, context.clock())
        requests.request(org.prospect_id("m@example.com"), campaign, "Sent")
    summary = org.sync()
    assert (summary["matched_contact"], summary["errors"]) == (1, 0)
    assert len(org.rows('SELECT * FROM "CampaignMember" WHERE "ContactId" = ?', contact)) == 1


def test_a_validation_rule_error_clears_after_the_fix(org: Org) -> None:
    org.lead_status_field()
    org.prospect("q@example.com", lead_status="Qualified")  # the org requires a phone then
    refused = org.sync()
    assert refused["errors_by_kind"] == {"data": 1}
    assert org.records("Lead", "q@example.com") == []
    [error] = org.errors("q@example.com")  # a retry without a fix fails the same way
    assert error["code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "Phone is required" in error["message"]
    assert org.sync()["considered"] == 0  # not retried on its own
    org.cli("prospects", "edit", "q@example.com", "-s", "phone=+1 555 0100")  # the fix
    fixed = org.sync()
    assert (fixed["created"], fixed["errors"]) == (1, 0)
    assert org.errors("q@example.com") == []
    assert org.records("Lead", "q@example.com")[0]["Status"] == "Qualified"


def test_a_restricted_picklist_value_is_refused_before_sending(org: Org) -> None:
    org.lead_status_field()
    org.prospect("hot@example.com", lead_status="Hot")
    refused = org.sync()
    assert refused["errors_by_kind"] == {"data": 1}
    assert refused["push_api_calls"] == 2  # the contact and lead lookups; nothing was written
    [error] = org.errors("hot@example.com")
    assert error["code"] == "PREFLIGHT_INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert "lead_status" in error["message"]
    assert "'Working - Contacted'" in error["message"]
    org.cli("prospects", "edit", "hot@example.com", "-s", "lead_status=Working - Contacted")
    assert org.sync()["created"] == 1
    assert org.errors("hot@example.com") == []


def test_a_too_long_value_is_refused_before_sending(org: Org) -> None:
    long_email = f"{'x' * 70}@example.com"  # fine for leadbridge, too long for Salesforce
    org.prospect(long_email)
    refused = org.sync()
    assert refused["errors_by_kind"] == {"data": 1}
    [error] = org.errors(long_email)
    assert error["code"] == "PREFLIGHT_STRING_TOO_LONG"
    assert "at most 80 characters" in error["message"]
    assert error["fields"] == ["Email"]
    org.cli("prospects", "edit", long_email, "-s", "email=short@example.com")
    assert org.sync()["created"] == 1
    assert org.errors("short@example.com") == []


def test_an_inactive_owner_is_refused_by_salesforce_then_reassigned(org: Org) -> None:
    leaving = org.reps[1]
    org.sandbox.control(
        "PATCH", f"/records/User/{org.user_id(leaving)}", {"fields": {"IsActive": False}}
    )
    org.prospect("o@example.com", assign=False)
    org.cli("prospects", "assign", "o@example.com", leaving)
    refused = org.sync()
    assert refused["errors_by_kind"] == {"permission": 1}
    [error] = org.errors("o@example.com")
    assert error["code"] == "INACTIVE_OWNER_OR_USER"
    org.cli("prospects", "assign", "o@example.com", org.reps[0])
    assert org.sync()["created"] == 1
    assert org.errors("o@example.com") == []
    assert org.records("Lead", "o@example.com")[0]["OwnerId"] == org.user_id(org.reps[0])


def test_an_unmapped_user_is_a_sync_error_not_a_silent_owner(org: Org) -> None:
    org.sandbox.control("POST", "/seed", {"users": 1, **NO_DATA, "seed": 99})
    new_rep = org.rows(
        'SELECT "Username" FROM "User" WHERE "IsActive" = 1 AND "Username" NOT IN (?, ?) '
        'AND "Username" != ?',
        *org.reps,
        org.sandbox.credentials["username"],
    )[0]["Username"]
    org.cli("users", "add", "new.rep@example.com", "--name", "New Rep", "--role", "sales")
    org.prospect("u@example.com", assign=False)
    org.cli("prospects", "assign", "u@example.com", "new.rep@example.com")
    refused = org.sync()
    assert refused["errors_by_kind"] == {"configuration": 1}
    assert org.records("Lead", "u@example.com") == []
    [error] = org.errors("u@example.com")
    assert error["code"] == "USER_NOT_MAPPED"
    assert "leadbridge users map new.rep@example.com" in error["message"]
    org.cli("users", "map", "new.rep@example.com", new_rep)
    assert org.sync_one("u@example.com")["in_sync"] is True  # the retry
    assert org.records("Lead", "u@example.com")[0]["OwnerId"] == org.user_id(new_rep)


class _RepCreatesTheLeadMeanwhile:
    """The real client; between leadbridge's lookup and its write, a sales rep creates a
    lead with the same email (the race the org's duplicate rule then stops)."""

    def __init__(self, crm: CrmClient, org: Org, email: str) -> None:
        self.crm, self.org, self.email = crm, org, email

    def __getattr__(self, name: str) -> Any:
        return getattr(self.crm, name)

    def find_by_emails(self, object_name: str, *args: Any, **kwargs: Any) -> list[Any]:
        found = list(self.crm.find_by_emails(object_name, *args, **kwargs))
        if object_name == "Lead":
            self.org.create("Lead", {"LastName": "Rep", "Company": "Acme", "Email": self.email})
        return found


def test_a_duplicate_rule_error_clears_on_retry(org: Org) -> None:
    org.prospect("race@example.com", first_name="Rae")
    racing = _RepCreatesTheLeadMeanwhile(
        context.connector_service().client(), org, "race@example.com"
    )
    refused = org.engine(racing).run_once()
    assert dict(refused.errors) == {"duplicate": 1}
    [rep_lead] = org.records("Lead", "race@example.com")  # the rep's, not a second one
    [error] = org.open_errors("race@example.com")
    assert error.error_code == "DUPLICATES_DETECTED"
    assert org.sync()["considered"] == 0  # not retried on its own
    assert org.errors("race@example.com") == []  # the retry finds the rep's lead and links it
    assert rep_lead["Id"] in org.cli.json("prospects", "show", "race@example.com")["crm_link"]


def test_sync_once_prints_a_summary_and_sync_run_keeps_going(org: Org) -> None:
    org.prospect("ada@example.com")
    printed = org.cli("sync", "once")
    assert "Pushed 1: 1 created" in printed
    # the push's 3: contact lookup, lead lookup, the lead's upsert
    assert "push 3" in " ".join(printed.split())
    org.prospect("grace@example.com")
    looped = org.cli("sync", "run", "--interval", "0", "--cycles", "2")
    assert "Pushed 1: 1 created" in looped
    org.cli("connector", "pause")
    org.prospect("eve@example.com")
    assert "Paused" in org.cli("sync", "run", "--interval", "0", "--cycles", "1")
    assert "connector is paused" in org.cli("sync", "once")
    assert org.records("Lead", "eve@example.com") == []
    manual = org.cli("sync", "prospect", "eve@example.com")  # works while paused
    assert "is in sync with Salesforce lead 00Q" in manual
