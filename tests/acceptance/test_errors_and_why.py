"""Sync errors and `why` through the CLI, with no Salesforce: what a sync would leave behind
(errors, outbox items, links, user mappings) is written straight into the store."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli import context
from leadbridge.ports import SystemClock
from leadbridge.store import (
    AuthFlow,
    ConnectorConfig,
    ConnectorRepository,
    Database,
    OutboxRepository,
    ProspectRepository,
    SecretBox,
    SyncErrorRepository,
    UserRepository,
    open_database,
)
from leadbridge.store.campaign_requests import CampaignRequestRepository
from leadbridge.store.outbox import PUSH
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import SandboxClient

LEAD_ID = "00Q000000000001AAA"
CAMPAIGN_ID = "701000000000001AAA"
NO_DATA = (
    "leads", "contacts", "accounts", "opportunities", "campaigns", "campaign_members",
    "subscriptions",
)  # fmt: skip
CONTACT_ID = "003000000000001AAA"


class StepClock:
    """Real time, one minute further at each call, starting a day ago (so the CLI's clock
    is later than anything written here)."""

    def __init__(self) -> None:
        self.current = datetime.now(UTC) - timedelta(days=1)

    def now(self) -> datetime:
        self.current += timedelta(minutes=1)
        return self.current


class Store:
    """What the push engine and Salesforce would do, done directly."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.db: Database = open_database(f"sqlite:///{home / 'leadbridge.sqlite3'}")
        self.clock = StepClock()

    def error(self, prospect_id: int | None, code: str, message: str, **extra: Any) -> int:
        with self.db.session() as session:
            recorded = SyncErrorRepository(session, self.clock).record(
                prospect_id, error_code=code, message=message, **extra
            )
            return recorded.id

    def prospect_id(self, email: str) -> int:
        with self.db.session() as session:
            found = ProspectRepository(session, self.clock).by_email(email)
            assert found is not None
            return found.id

    def pending(self, prospect_id: int) -> list[str]:
        with self.db.session() as session:
            items = OutboxRepository(session, SystemClock()).pending(PUSH, limit=1000)
            return [item.reason for item in items if item.prospect_id == prospect_id]

    def settle(self) -> None:
        """The push engine ran: every pending push is done."""
        with self.db.session() as session:
            outbox = OutboxRepository(session, SystemClock())
            outbox.mark_done([item.id for item in outbox.pending(PUSH, limit=1000)])

    def pushed(self, prospect_id: int, *, lead_id: str = LEAD_ID, **ids: str) -> None:
        """A successful push: linked, stamped, its errors resolved, its outbox items done."""
        with self.db.session() as session:
            ProspectRepository(session, self.clock).link_crm(
                prospect_id, lead_id=lead_id, synced_at=self.clock.now(), **ids
            )
            SyncErrorRepository(session, self.clock).resolve_for_prospect(prospect_id)
        self.settle()

    def map_user(self, email: str, crm_username: str = "rep@acme.example") -> None:
        with self.db.session() as session:
            users = UserRepository(session)
            user = users.by_email(email)
            assert user is not None
            users.map_crm_user(user.id, "005000000000001AAA", crm_username)

    def connector(self, *, paused: bool) -> None:
        config = ConnectorConfig(
            login_url="https://login.example.com",
            auth_flow=AuthFlow.PASSWORD,
            username="connector@acme.example",
            client_id="client-id",
            paused=paused,
            secret_env={"client_secret": "CLIENT_SECRET", "password": "PASSWORD"},
        )
        with self.db.session() as session:
            box = SecretBox(self.home / "secret.key", environ={})
            ConnectorRepository(session, box, environ={}).save(config)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Cli(tmp_path / ".leadbridge")
    context.reset()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    built = Store(tmp_path / ".leadbridge")
    yield built
    built.db.dispose()


def ready(cli: Cli, store: Store, email: str = "ada@example.com") -> int:
    """A prospect assigned to a mapped user, with a running connector, not yet pushed."""
    cli("prospects", "add", email)
    if not cli.json("users", "list"):
        cli("users", "add", "rep@example.com", "--role", "sales")
        store.map_user("rep@example.com")
        store.connector(paused=False)
    cli("prospects", "assign", email, "rep@example.com")
    return store.prospect_id(email)


# -- errors list / show / counts ---------------------------------------------------------


def test_list_show_and_count_open_errors(cli: Cli, store: Store) -> None:
    ada, bob = ready(cli, store), ready(cli, store, "bob@example.com")
    store.settle()
    old = store.error(ada, "UNABLE_TO_LOCK_ROW", "row locked", crm_object="Lead")
    data = store.error(
        ada,
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "Phone must have 10 digits",
        crm_object="Lead",
        crm_id=LEAD_ID,
        fields=["Phone"],
    )
    dup = store.error(bob, "DUPLICATES_DETECTED", "Use one of these records?", crm_object="Lead")
    gone = store.error(bob, "ENTITY_IS_DELETED", "entity is deleted", crm_object="Contact")
    with store.db.session() as session:
        SyncErrorRepository(session, store.clock).resolve([gone])

    listed = cli.json("errors", "list")
    assert [row["id"] for row in listed] == [dup, data, old]  # newest first, resolved gone
    first = listed[1]
    assert (first["kind"], first["error_code"], first["fields"]) == (
        "data",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        ["Phone"],
    )
    assert (first["prospect_email"], first["crm_object"], first["crm_id"]) == (
        "ada@example.com",
        "Lead",
        LEAD_ID,
    )
    assert first["attempts"] == 1 and first["first_seen_at"] and first["last_seen_at"]
    assert [row["id"] for row in cli.json("errors", "list", "--kind", "DATA")] == [data]
    assert [row["id"] for row in cli.json("errors", "list", "--limit", "1")] == [dup]
    assert cli.json("errors", "list", "--kind", "permission") == []

    table = cli("errors", "list")
    assert "Phone must have 10 digits" in table and "bob@example.com" in table

    shown = cli("errors", "show", str(data))
    assert "Phone must have 10 digits" in shown
    assert "correct the prospect's data" in shown
    assert f"leadbridge errors retry {data}" in shown
    assert cli.json("errors", "show", str(gone))["status"] == "resolved"

    counts = cli.json("errors", "counts")
    assert counts == {
        "total": 3,
        "by_kind": {"data": 1, "duplicate": 1, "transient": 1},
        "by_code": {
            "DUPLICATES_DETECTED": 1,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION": 1,
            "UNABLE_TO_LOCK_ROW": 1,
        },
    }
    assert "3 open sync error(s)" in cli("errors", "counts")


def test_no_errors_is_said_plainly(cli: Cli) -> None:
    assert "No open sync errors." in cli("errors", "list")
    assert "No open sync errors to retry." in cli("errors", "retry", "--all")
    assert cli.json("errors", "counts") == {"total": 0, "by_kind": {}, "by_code": {}}


# -- errors retry ------------------------------------------------------------------------


def test_retry_queues_one_push_and_the_error_stays_open_until_it_succeeds(
    cli: Cli, store: Store
) -> None:
    ada = ready(cli, store)
    store.settle()
    error = store.error(ada, "STRING_TOO_LONG", "Title: data value too large", fields=["Title"])
    assert cli.json("errors", "show", str(error))["status"] == "open"

    assert f"Retry queued for 1 error(s): {error}" in cli("errors", "retry", str(error))
    assert store.pending(ada) == ["retry requested"]
    shown = cli.json("errors", "show", str(error))
    assert (shown["status"], shown["resolved_at"]) == ("push queued", None)
    assert shown["next_attempt_at"]

    again = cli.json("errors", "retry", str(error))
    assert again == {"queued": [error], "pushes_added": 0, "skipped": []}
    assert store.pending(ada) == ["retry requested"]  # no second push for the same prospect

    store.pushed(ada)
    assert cli.json("errors", "list") == []


def test_retry_all_and_by_kind_skip_what_a_push_cannot_fix(cli: Cli, store: Store) -> None:
    ada, bob = ready(cli, store), ready(cli, store, "bob@example.com")
    gone = ready(cli, store, "gone@example.com")
    store.settle()
    data = store.error(ada, "REQUIRED_FIELD_MISSING", "Company is required", fields=["Company"])
    also = store.error(ada, "INVALID_EMAIL_ADDRESS", "Email: invalid email address")
    dup = store.error(bob, "DUPLICATES_DETECTED", "Use one of these records?")
    binned = store.error(gone, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Phone is required")
    orgwide = store.error(None, "INSUFFICIENT_ACCESS", "connector user may not read Lead")
    cli("prospects", "delete", "gone@example.com")

    by_kind = cli.json("errors", "retry", "--kind", "duplicate")
    assert by_kind == {"queued": [dup], "pushes_added": 1, "skipped": []}
    assert store.pending(bob) == ["retry requested"] and store.pending(ada) == []

    report = cli.json("errors", "retry", "--all")
    assert report["queued"] == [data, also, dup]
    assert report["pushes_added"] == 1  # one for ada's two errors; bob's is already queued
    skipped = {row["error_id"]: row["reason"] for row in report["skipped"]}
    assert set(skipped) == {binned, orgwide}
    assert "recycle bin" in skipped[binned]
    assert f"leadbridge prospects undelete {gone}" in skipped[binned]
    assert "not about one prospect" in skipped[orgwide]

    printed = cli("errors", "retry", "--all")
    assert f"Skipped error {binned}:" in printed and "recycle bin" in printed


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["errors", "retry"], 2, "give one of: an error ID, --all, or --kind KIND"),
        (["errors", "retry", "1", "--all"], 2, "give one of"),
        (["errors", "retry", "--kind", "weird"], 2, "'weird' is not a kind of error"),
        (["errors", "list", "--kind", "weird"], 2, "transient, limit, data"),
        (["errors", "list", "--limit", "0"], 2, "limit: must be between 1 and 1000"),
        (["errors", "retry", "999"], 3, "no sync error with id 999"),
        (["errors", "show", "999"], 3, "no sync error with id 999"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_code(
    cli: Cli, args: list[str], code: int, message: str
) -> None:
    assert message in " ".join(cli(*args, code=code).split())


def test_retry_refuses_errors_a_push_cannot_fix(cli: Cli, store: Store) -> None:
    ada = ready(cli, store)
    resolved = store.error(ada, "REQUIRED_FIELD_MISSING", "Company is required")
    store.pushed(ada)
    assert "was resolved at" in cli("errors", "retry", str(resolved), code=4)

    unassigned = store.prospect_id(cli.json("prospects", "add", "carl@example.com")["email"])
    loose = store.error(unassigned, "REQUIRED_FIELD_MISSING", "Company is required")
    refused = " ".join(cli("errors", "retry", str(loose), code=4).split())
    assert f"sync error {loose} cannot be retried" in refused
    assert "carl@example.com is not assigned to a user" in refused

    cli("prospects", "edit", "ada@example.com", "-s", "do_not_sync=true")
    flagged = store.error(ada, "REQUIRED_FIELD_MISSING", "Company is required")
    assert "do not sync with CRM" in cli("errors", "retry", str(flagged), code=4)
    assert store.pending(unassigned) == []


def test_retrying_a_campaign_error_asks_for_the_membership_again(cli: Cli, store: Store) -> None:
    ada = ready(cli, store)
    store.pushed(ada)
    with store.db.session() as session:
        requests = CampaignRequestRepository(session, store.clock)
        asked = requests.request(ada, CAMPAIGN_ID, "Responded")
        requests.mark_failed(asked.id, "INVALID_CROSS_REFERENCE_KEY: no such campaign")
    error = store.error(
        ada, "INVALID_CROSS_REFERENCE_KEY", "no such campaign", crm_object="CampaignMember"
    )
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "syncing"  # the prospect itself syncs
    severity, message, action = report["by_code"]["campaign_error"]
    assert severity == "warning" and "no such campaign" in message
    assert action.endswith(f"leadbridge errors retry {error}")

    cli("errors", "retry", str(error))
    with store.db.session() as session:
        states = [
            r.state for r in CampaignRequestRepository(session, store.clock).for_prospect(ada)
        ]
    assert [str(state) for state in states] == ["failed", "pending"]
    assert store.pending(ada) == ["retry requested"]
    report = why(cli, "ada@example.com")
    assert "A new attempt is queued" in report["by_code"]["campaign_error"][1]


def test_a_duplicate_warning_is_shown_but_the_prospect_syncs(cli: Cli, store: Store) -> None:
    ada = ready(cli, store)
    store.pushed(ada)
    store.error(
        ada,
        "MULTIPLE_MATCHES",
        "2 contacts have this email; leadbridge used the most recently modified",
        crm_object="Contact",
    )
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "syncing"
    assert report["by_code"]["sync_warning"][0] == "warning"
    assert "all_good" not in report["by_code"]
    assert cli.json("errors", "list")[0]["kind"] == "duplicate"
    printed = " ".join(cli("why", "ada@example.com").split())
    assert "Verdict: syncing; look at the ! items" in printed


# -- errors export -----------------------------------------------------------------------


def test_export_writes_every_open_error_and_never_overwrites_by_accident(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    ada = ready(cli, store)
    with store.db.session() as session:
        errors = SyncErrorRepository(session, store.clock)
        for number in range(1005):  # more than one page of 1000
            errors.record(ada, error_code="STRING_TOO_LONG", message="too long",
                          crm_object=f"Object{number}")  # fmt: skip
    store.error(ada, "FIELD_CUSTOM_VALIDATION_EXCEPTION", '=HYPERLINK("http://x")')

    target = tmp_path / "errors.csv"
    assert "Wrote 1006 open sync error(s)" in cli("errors", "export", str(target))
    with target.open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == 1006
    assert len({row["id"] for row in rows}) == 1006
    assert rows[0]["prospect_email"] == "ada@example.com" and rows[0]["kind"] == "data"
    assert rows[-1]["message"] == '\'=HYPERLINK("http://x")'

    target.write_text("mine", encoding="utf-8")
    refused = " ".join(cli("errors", "export", str(target), code=4).split())
    assert "already exists" in refused and "--force" in refused
    assert target.read_text(encoding="utf-8") == "mine"
    cli("errors", "export", str(target), "--force")
    assert target.read_text(encoding="utf-8").startswith("id,status,kind,error_code")

    missing = " ".join(cli("errors", "export", str(tmp_path / "no" / "e.csv"), code=2).split())
    assert "does not exist" in missing


# -- why ---------------------------------------------------------------------------------


def why(cli: Cli, email: str, *, code: int = 0) -> dict[str, Any]:
    """`why --json`, with the reasons as code → (severity, message, action)."""
    import json

    report: dict[str, Any] = json.loads(cli("why", email, "--json", code=code))
    report["by_code"] = {
        reason["code"]: (reason["severity"], reason["message"], reason["action"])
        for reason in report["reasons"]
    }
    return report


def test_why_not_found(cli: Cli) -> None:
    report = why(cli, "nobody@example.com", code=3)
    assert report["verdict"] == "not syncing"
    assert list(report["by_code"]) == ["not_found"]
    printed = cli("why", "nobody@example.com", code=3)
    assert "No prospect matches 'nobody@example.com'" in printed


def test_why_not_assigned_then_user_not_mapped(cli: Cli, store: Store) -> None:
    store.connector(paused=False)
    cli("prospects", "add", "ada@example.com")
    report = why(cli, "ADA@example.com")
    assert report["verdict"] == "not syncing"
    severity, message, action = report["by_code"]["not_assigned"]
    assert severity == "blocking" and "not assigned to a user" in message
    assert action.startswith("Make sure the record is assigned to a user")
    printed = " ".join(cli("why", "ada@example.com").split())
    assert "Make sure the record is assigned to a user" in printed
    assert "Verdict: not syncing" in printed

    cli("users", "add", "rep@example.com")
    cli("prospects", "assign", "ada@example.com", "rep@example.com")
    report = why(cli, "ada@example.com")
    severity, message, action = report["by_code"]["user_not_mapped"]
    assert "rep@example.com" in message and severity == "blocking"
    assert "leadbridge users map rep@example.com" in action
    assert "not_assigned" not in report["by_code"]


def test_why_recycle_bin_deleted_in_crm_and_do_not_sync(cli: Cli, store: Store) -> None:
    ada = ready(cli, store)
    cli("prospects", "delete", "ada@example.com")
    report = why(cli, "ada@example.com")
    assert report["prospect_id"] == ada and report["verdict"] == "not syncing"
    assert f"leadbridge prospects undelete {ada}" in report["by_code"]["recycled"][2]

    with store.db.session() as session:
        ProspectRepository(session, store.clock).recycle(
            ada, origin=_salesforce(), actor=None, deleted_in_crm=True
        )
    by_id = why(cli, str(ada))
    assert "deleted in Salesforce" in by_id["by_code"]["deleted_in_crm"][1]

    bob = ready(cli, store, "bob@example.com")
    cli("prospects", "edit", "bob@example.com", "-s", "do_not_sync=true")
    report = why(cli, "bob@example.com")
    assert report["prospect_id"] == bob
    assert report["by_code"]["do_not_sync"][0] == "blocking"


def test_why_connector_missing_then_paused(cli: Cli, store: Store) -> None:
    cli("prospects", "add", "ada@example.com")
    cli("users", "add", "rep@example.com")
    store.map_user("rep@example.com")
    cli("prospects", "assign", "ada@example.com", "rep@example.com")
    assert "leadbridge connector add" in why(cli, "ada@example.com")["by_code"]["no_connector"][2]

    store.connector(paused=True)
    report = why(cli, "ada@example.com")
    severity, message, action = report["by_code"]["connector_paused"]
    assert severity == "waiting" and "manual sync still works" in message
    assert action.startswith("Resume it: leadbridge connector resume")
    assert report["verdict"] == "waiting"
    cli("connector", "resume")
    assert "connector_paused" not in why(cli, "ada@example.com")["by_code"]


def test_why_open_error_then_retry_then_fixed(cli: Cli, store: Store) -> None:
    ada = ready(cli, store)
    store.settle()
    error = store.error(
        ada, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Phone must have 10 digits", fields=["Phone"]
    )
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "not syncing"
    severity, message, action = report["by_code"]["sync_error"]
    assert severity == "blocking"
    assert "Phone must have 10 digits (fields: Phone)" in message
    assert action.endswith(f"Fix the error and try syncing again: leadbridge errors retry {error}")

    cli("errors", "retry", str(error))
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "waiting"
    assert "A new attempt is queued" in report["by_code"]["sync_error"][1]
    assert "queued since" in report["by_code"]["push_pending"][1]

    store.pushed(ada, lead_id=LEAD_ID, contact_id=CONTACT_ID)
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "syncing"
    assert list(report["by_code"]) == ["linked", "changes_from_salesforce", "all_good"]
    arrive = report["by_code"]["changes_from_salesforce"][1]
    assert "by polling every 120 seconds" in arrive, arrive  # the org publishes no changes
    assert f"Contact {CONTACT_ID}" in report["by_code"]["linked"][1]
    assert "last pushed at" in report["by_code"]["linked"][1]


def test_why_pending_push_and_not_pushed(cli: Cli, store: Store) -> None:
    ready(cli, store)
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "waiting"
    assert "next attempt at" in report["by_code"]["push_pending"][1]
    assert "not_in_crm" in report["by_code"]

    store.settle()
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "waiting"
    assert "no push is queued" in report["by_code"]["not_pushed"][1]


def test_why_all_good_printed(cli: Cli, store: Store) -> None:
    ada = ready(cli, store)
    store.pushed(ada)
    printed = " ".join(cli("why", "ada@example.com").split())
    assert f"Linked to Salesforce Lead {LEAD_ID}; last pushed at" in printed
    assert "Nothing is holding ada@example.com back" in printed
    assert "Verdict: syncing" in printed


def _salesforce() -> Any:
    from leadbridge.domain.fields import Origin

    return Origin.SALESFORCE


# -- with the sandbox org and the real push engine -----------------------------------------


@pytest.fixture
def org_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient
) -> Iterator[Cli]:
    """leadbridge connected to a fresh org with one sales rep, whom no leadbridge user maps."""
    monkeypatch.chdir(tmp_path)
    context.reset()
    sandbox.control("POST", "/seed", {"users": 1, **dict.fromkeys(NO_DATA, 0)})
    cli = Cli(tmp_path / ".leadbridge")
    cli("connector", "add", "--sandbox", sandbox_dir(sandbox))
    cli("connector", "verify")
    cli("connector", "resume")
    yield cli
    context.reset()


def test_the_troubleshooting_flow_against_the_org(org_cli: Cli, sandbox: SandboxClient) -> None:
    cli = org_cli
    rep = next(
        user["crm_username"]
        for user in cli.json("users", "sync")["unmatched"]
        if user["crm_username"].lower() != sandbox.credentials["username"].lower()
    )
    cli("users", "add", "new.rep@example.com", "--role", "sales")
    cli("prospects", "add", "ada@example.com", "--company", "Acme")
    assert why(cli, "ada@example.com")["by_code"]["not_assigned"][0] == "blocking"
    cli("prospects", "assign", "ada@example.com", "new.rep@example.com")

    cli.json("sync", "once")
    [error] = cli.json("errors", "list", "--kind", "configuration")
    assert (error["error_code"], error["prospect_email"]) == ("USER_NOT_MAPPED", "ada@example.com")
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "not syncing"
    assert "new.rep@example.com" in report["by_code"]["user_not_mapped"][1]
    assert report["by_code"]["sync_error"][2].endswith(f"leadbridge errors retry {error['id']}")

    cli("users", "map", "new.rep@example.com", rep)
    cli("errors", "retry", str(error["id"]))
    assert why(cli, "ada@example.com")["verdict"] == "waiting"
    cli.json("sync", "once")
    assert cli.json("errors", "list") == []
    report = why(cli, "ada@example.com")
    assert report["verdict"] == "syncing"
    assert "Linked to Salesforce Lead 00Q" in report["by_code"]["linked"][1]
