"""No lost update, against the sandbox org over HTTPS: a push killed after Salesforce applied
it (its values were recorded before sending, so Salesforce holding them is leadbridge's own
echo), and "most recent" decided per field (Salesforce's field history), never by an edit of
another field."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin, SyncBehaviour
from leadbridge.ports import CrmClient, SaveResult
from leadbridge.sandbox.backend import SandboxConfig
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from leadbridge.sandbox.server import SandboxServer
from leadbridge.store import SecretBox, UserRepository, open_database
from leadbridge.store.audit import AuditRepository
from leadbridge.sync import PushEngine
from tests.conftest import SandboxClient
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import NO_DATA, MovableClock, Wired, fast_client

MOST_RECENT = SyncBehaviour.MOST_RECENT
GAP = 2.0  # seconds between events whose order matters (the org's clock is read to ±0.5 s)


class Killed(BaseException):
    """The process killed: not an Exception, so nothing in leadbridge catches it."""


class KilledAfterWrite:
    """The real client, except that every write is applied by the org and then the process
    "dies" before leadbridge can record it. `meanwhile` runs just before the write reaches
    the org (a user editing while the push is in flight)."""

    def __init__(self, crm: CrmClient, meanwhile: Callable[[], None] | None = None) -> None:
        self.crm = crm
        self.meanwhile = meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self.crm, name)

    def _die_after(self, write: Callable[[], list[SaveResult]]) -> list[SaveResult]:
        if self.meanwhile is not None:
            self.meanwhile()
        results = write()
        assert all(result.success for result in results)
        raise Killed

    def update(self, object_name: str, records: Any) -> list[SaveResult]:
        return self._die_after(lambda: self.crm.update(object_name, records))

    def create(self, object_name: str, records: Any) -> list[SaveResult]:
        return self._die_after(lambda: self.crm.create(object_name, records))

    def upsert(self, object_name: str, key: str, records: Any) -> list[SaveResult]:
        return self._die_after(lambda: self.crm.upsert(object_name, key, records))


def killed_push(org: Puller, meanwhile: Callable[[], None] | None = None) -> None:
    crm = cast(CrmClient, KilledAfterWrite(org.w.crm, meanwhile))
    org.now()
    with pytest.raises(Killed):
        PushEngine(org.w.db, crm, org.w.clock).run_once()


def crm_title(org: Puller, lead: str) -> Any:
    return org.w.rows('SELECT "Title" FROM "Lead" WHERE "Id" = ?', lead)[0]["Title"]


def salesforce_changes(org: Puller, pid: int, name: str) -> list[tuple[Any, Any]]:
    with org.w.db.session() as session:
        entries = AuditRepository(session).for_prospect(pid)
    return [
        (e.old_value, e.new_value)
        for e in entries
        if e.field == name and e.origin is Origin.SALESFORCE
    ]


def user_edit(org: Puller, pid: int, **values: Any) -> None:
    """An edit in leadbridge now, on our clock (which `Puller` runs 1.5 s ahead of the org's:
    the rules put our times on Salesforce's clock)."""
    org.now()
    org.w.edit(pid, **values)


def in_flight_edit(org: Puller, pid: int, **values: Any) -> None:
    """An edit made while a push is in flight, timed earlier than the org applies the push
    (our clock at the real time, behind the org's LastModifiedDate of the push)."""
    org.w.clock.at = datetime.now(UTC)
    org.w.edit(pid, **values)


@pytest.fixture
def org(wired: Wired) -> Puller:
    return Puller(wired)


# -- the lost update after a killed push -------------------------------------------------


def test_a_push_killed_after_salesforce_applied_it_loses_no_later_edit(org: Puller) -> None:
    org.mapping("job_title", "Title", MOST_RECENT)
    pid, lead = org.linked("ada@example.com", job_title="v1")
    org.w.edit(pid, job_title="v2")
    killed_push(org)
    assert crm_title(org, lead) == "v2"  # Salesforce applied it; leadbridge never recorded it
    user_edit(org, pid, job_title="v3")
    org.cycle()
    org.cycle()
    assert org.get(pid).job_title == "v3"
    assert crm_title(org, lead) == "v3"
    assert salesforce_changes(org, pid, "job_title") == []


def test_an_edit_made_while_the_killed_push_was_in_flight_is_kept(org: Puller) -> None:
    # The user's edit is older than Salesforce's LastModifiedDate for the push: by times
    # alone Salesforce's value (leadbridge's own, v2) would win and overwrite v3.
    org.mapping("job_title", "Title", MOST_RECENT)
    pid, lead = org.linked("ada@example.com", job_title="v1")
    org.w.edit(pid, job_title="v2")
    killed_push(org, meanwhile=lambda: in_flight_edit(org, pid, job_title="v3"))
    assert crm_title(org, lead) == "v2"
    time.sleep(GAP)
    org.cycle()
    org.cycle()
    assert org.get(pid).job_title == "v3"
    assert crm_title(org, lead) == "v3"
    assert salesforce_changes(org, pid, "job_title") == []


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """An org without LeadBridge_Prospect_Id__c (no upsert key) and without duplicate rules."""
    data_dir = tmp_path_factory.mktemp("fresh-org")
    config = SandboxConfig(
        data_dir=data_dir, memory=True, random_seed=7, schema_file=FRESH_ORG_SCHEMA_FILE
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture(params=["key field", "fresh org"])
def any_org(
    request: pytest.FixtureRequest, tmp_path: Path, sandbox: SandboxClient
) -> Iterator[Puller]:
    """The default org (new leads upserted on the key) or a fresh one (plain creates)."""
    seed: dict[str, Any] = {"users": 1, **NO_DATA}
    if request.param == "fresh org":
        sandbox = SandboxClient(request.getfixturevalue("fresh_server"))
        sandbox.control("POST", "/reset")
        sandbox.control("POST", "/tokens", {"lifetime_seconds": 7200})
    sandbox.control("POST", "/seed", seed)
    store = open_database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    clock = MovableClock()
    service = ConnectorService(store, clock, fast_client, SecretBox(tmp_path / "secret.key"))
    service.add_sandbox(Path(sandbox.credentials["ca_file"]).parent)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    admin = sandbox.credentials["username"].lower()
    with store.session() as session:
        rep = next(
            user
            for user in UserRepository(session).list()
            if user.crm_username and user.crm_username != admin
        )
    try:
        yield Puller(Wired(store, clock, service, sandbox, rep.id))
    finally:
        store.dispose()


def test_a_create_killed_before_it_was_recorded_makes_one_lead(any_org: Puller) -> None:
    org = any_org
    org.mapping("job_title", "Title", MOST_RECENT)
    pid = org.w.add("new@example.com", job_title="v1")
    killed_push(org)
    assert org.get(pid).crm_lead_id is None  # never recorded
    user_edit(org, pid, job_title="v2")
    org.cycle()
    org.cycle()
    leads = org.w.rows(
        'SELECT "Id", "Title" FROM "Lead" WHERE lower("Email") = ? AND "IsDeleted" = 0',
        "new@example.com",
    )
    assert [lead["Title"] for lead in leads] == ["v2"]
    assert org.get(pid).crm_lead_id == leads[0]["Id"]
    assert org.get(pid).job_title == "v2"
    assert salesforce_changes(org, pid, "job_title") == []


class CutAfterApplied:
    """The real client, but the org's reply to the create is cut off after the org applied
    it (the client reports CONNECTION_ERROR, outcome unknown); the user edits meanwhile."""

    def __init__(self, org: Puller, meanwhile: Callable[[], None]) -> None:
        self.org = org
        self.meanwhile = meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self.org.w.crm, name)

    def _cut(self, write: Callable[[], list[SaveResult]]) -> list[SaveResult]:
        self.meanwhile()
        cut = {"kind": "connection_cut", "next_n": 1, "path_contains": "/composite/sobjects"}
        self.org.w.control("POST", "/faults", cut)
        try:
            results = write()
        finally:
            self.org.w.control("DELETE", "/faults")
        self.org.w.clock.at = datetime.now(UTC)  # our clock goes on (the edit stays older)
        return results

    def create(self, object_name: str, records: Any) -> list[SaveResult]:
        results = self._cut(lambda: self.org.w.crm.create(object_name, records))
        assert [e.error_code for r in results for e in r.errors] == ["CONNECTION_ERROR"]
        return results

    def upsert(self, object_name: str, key: str, records: Any) -> list[SaveResult]:
        return self._cut(lambda: self.org.w.crm.upsert(object_name, key, records))  # replayed


def test_a_create_cut_off_after_salesforce_applied_it_keeps_the_edit_made_meanwhile(
    any_org: Puller,
) -> None:
    """A broken connection leaves the create's outcome unknown: the values it sent stay
    recorded, so the lead found by email holding them is leadbridge's own echo, and the edit
    made while the create was in flight (older than the lead) still wins (found by the soak)."""
    org = any_org
    org.mapping("job_title", "Title", MOST_RECENT)
    pid = org.w.add("cut@example.com", job_title="v1")
    crm = cast(CrmClient, CutAfterApplied(org, lambda: in_flight_edit(org, pid, job_title="v2")))
    org.now()
    PushEngine(org.w.db, crm, org.w.clock).run_once()
    time.sleep(GAP)
    org.cycle()
    org.cycle()
    leads = org.w.rows(
        'SELECT "Id", "Title" FROM "Lead" WHERE lower("Email") = ? AND "IsDeleted" = 0',
        "cut@example.com",
    )
    assert [lead["Title"] for lead in leads] == ["v2"]
    assert org.get(pid).job_title == "v2"
    assert salesforce_changes(org, pid, "job_title") == []


# -- the unrelated-field conflict ---------------------------------------------------------


def test_a_rep_editing_another_field_does_not_make_salesforces_older_value_win(
    org: Puller,
) -> None:
    org.mapping("job_title", "Title", MOST_RECENT)
    pid, lead = org.linked("ada@example.com", job_title="v1")
    org.edit("Lead", lead, Title="theirs")  # older
    time.sleep(GAP)
    user_edit(org, pid, job_title="ours")  # newer
    time.sleep(GAP)
    org.edit("Lead", lead, Phone="+1 555 0100")  # another field: LastModifiedDate moves
    org.cycle()
    org.cycle()
    assert org.get(pid).job_title == "ours"
    assert crm_title(org, lead) == "ours"


def test_salesforces_newer_value_wins_whatever_field_was_edited_last(org: Puller) -> None:
    org.mapping("job_title", "Title", MOST_RECENT)
    pid, lead = org.linked("ada@example.com", job_title="v1")
    user_edit(org, pid, job_title="ours")  # older
    time.sleep(GAP)
    org.edit("Lead", lead, Title="theirs")  # newer
    org.edit("Lead", lead, Phone="+1 555 0100")
    org.cycle()
    org.cycle()
    assert org.get(pid).job_title == "theirs"
    assert crm_title(org, lead) == "theirs"
