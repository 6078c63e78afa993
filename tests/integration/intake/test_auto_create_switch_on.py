"""Auto-create from the moment it is switched on: the switch-on time is recorded on
Salesforce's clock with the setting, and the next cycle takes everything created since."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadbridge.connector.service import ConnectorService
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.sandbox.server import free_port
from leadbridge.store import ProspectRepository, SecretBox
from leadbridge.store.auto_create import AutoCreateState
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.sync.cycle import sync_cycle
from leadbridge.sync.intake import IntakeSummary
from tests.integration.sync.conftest import Wired, fast_client

TEN_MINUTES = 600


def org_clock(w: Wired, offset_seconds: float) -> None:
    """Run the org's clock this far from the host's (leadbridge's clock stays on the host's)."""
    w.control("POST", "/clock", {"offset_seconds": offset_seconds})


def new_record(w: Wired, object_name: str, email: str, **fields: Any) -> str:
    if object_name == "Lead":
        fields.setdefault("Company", "Acme")
    body = {"fields": {"LastName": "Rep-made", "Email": email, **fields}}
    return str(w.control("POST", f"/records/{object_name}", body)["id"])


def next_cycle(w: Wired) -> IntakeSummary:
    w.clock.at = datetime.now(UTC)  # leadbridge's clock follows the host's, as a real one does
    summary = sync_cycle(w.db, w.crm, w.clock).run_once()
    assert not summary.failures, summary.failures
    intake = summary.results["intake"]
    assert isinstance(intake, IntakeSummary)
    return intake


def taken(summary: IntakeSummary) -> list[str]:
    return sorted(o.crm_id or "" for o in summary.outcomes if o.status == "created")


def emails(w: Wired) -> set[str]:
    with w.db.session() as session:
        return {p.email for p in ProspectRepository(session, w.clock).list(limit=1000)}


def switch(w: Wired, on: bool) -> dict[str, Any]:
    w.clock.at = datetime.now(UTC)
    return w.service.set("auto_create_prospects", "true" if on else "false")


@pytest.mark.parametrize("skew", [0, TEN_MINUTES, -TEN_MINUTES])
def test_what_a_rep_creates_before_the_next_cycle_is_taken_exactly_once(
    wired: Wired, skew: int
) -> None:
    org_clock(wired, skew - 10)  # ten seconds before the switch-on, on the org's clock
    before = [new_record(wired, "Lead", "early@example.com")]
    before.append(new_record(wired, "Contact", "early.contact@example.com"))
    org_clock(wired, skew)
    assert "note" not in switch(wired, True)
    leads = [new_record(wired, "Lead", f"lead{n}@example.com") for n in range(3)]
    contact = new_record(wired, "Contact", "contact@example.com", FirstName="Lena")
    new_record(wired, "Lead", "contact@example.com")  # the same person: the contact wins
    first = next_cycle(wired)
    assert taken(first) == sorted([*leads, contact])
    assert first.crm_calls == 2
    found = emails(wired)
    assert {"lead0@example.com", "lead2@example.com", "contact@example.com"} <= found
    assert not found & {"early@example.com", "early.contact@example.com"}  # not retroactive
    later = new_record(wired, "Lead", "later@example.com")
    assert taken(next_cycle(wired)) == [later]  # nothing twice
    assert taken(next_cycle(wired)) == []


def test_switched_off_then_on_it_starts_from_the_new_switch_on(wired: Wired) -> None:
    org_clock(wired, -30)
    switch(wired, True)
    assert taken(next_cycle(wired)) == []
    switch(wired, False)
    new_record(wired, "Lead", "while.off@example.com")
    assert taken(next_cycle(wired)) == []  # off: nothing taken
    org_clock(wired, 0)  # thirty seconds pass on the org's clock
    switch(wired, True)
    after = new_record(wired, "Lead", "after@example.com")
    assert taken(next_cycle(wired)) == [after]
    assert "while.off@example.com" not in emails(wired)


def test_switching_on_again_while_on_keeps_the_first_switch_on(wired: Wired) -> None:
    switch(wired, True)
    with wired.db.session() as session:
        first = AutoCreateState(ConnectorRepository(session)).since()
    switch(wired, True)
    with wired.db.session() as session:
        assert AutoCreateState(ConnectorRepository(session)).since() == first


def test_an_unreachable_org_records_leadbridges_time_and_the_next_cycle_converts_it(
    wired: Wired, tmp_path: Path
) -> None:
    def unreachable(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
        nowhere = f"https://127.0.0.1:{free_port()}"
        return fast_client(replace(credentials, login_url=nowhere), settings)

    box = SecretBox(tmp_path / "secret.key")  # the wired connector's key
    offline = ConnectorService(wired.db, wired.clock, unreachable, box)
    org_clock(wired, -TEN_MINUTES - 180)  # three minutes before the switch-on
    old = new_record(wired, "Lead", "old@example.com")
    org_clock(wired, -TEN_MINUTES)  # local time alone would skip what the rep creates now
    wired.clock.at = datetime.now(UTC)
    described = offline.set("auto_create_prospects", "true")
    assert described["settings"]["auto_create_prospects"] is True
    assert "Salesforce could not be reached" in described["note"]
    with wired.db.session() as session:
        state = AutoCreateState(ConnectorRepository(session))
        assert state.since() is None and state.since_local() is not None
    lead = new_record(wired, "Lead", "new@example.com")
    assert taken(next_cycle(wired)) == [lead]
    assert old not in taken(next_cycle(wired))
    with wired.db.session() as session:
        state = AutoCreateState(ConnectorRepository(session))
        since = state.since()
        assert since is not None and state.since_local() is None
    assert since < datetime.now(UTC) - timedelta(minutes=9)  # converted to the org's clock
