"""Pull windows are on Salesforce's clock: with the org's clock 10 minutes ahead of leadbridge's,
then 10 minutes behind, and the skew changing between an edit and the next poll, every edit a
sales rep makes arrives exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadbridge.domain.fields import Origin, SyncBehaviour
from leadbridge.domain.pull import PULL_CURSOR, PULL_HIGH_WATER, READ_AHEAD
from leadbridge.store.audit import AuditRepository
from leadbridge.store.connector import ConnectorRepository
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import Wired

TEN_MINUTES = 600


@pytest.fixture
def org(wired: Wired) -> Puller:
    return Puller(wired)


def skew(org: Puller, seconds: int) -> None:
    """Run the org's clock `seconds` ahead of leadbridge's (behind when negative)."""
    org.w.control("POST", "/clock", {"offset_seconds": seconds})


def pulled_titles(org: Puller, pid: int) -> list[str | None]:
    """The job titles the pull applied, oldest first (one audit entry per change)."""
    with org.w.db.session() as session:
        entries = AuditRepository(session).for_prospect(pid, 1000)
    return [
        e.new_value
        for e in reversed(entries)
        if e.field == "job_title" and e.origin == Origin.SALESFORCE
    ]


def test_every_edit_arrives_exactly_once_with_the_org_clock_ahead_then_behind(
    org: Puller,
) -> None:
    org.mapping("job_title", "Title", SyncBehaviour.USE_SALESFORCE)
    pid, lead = org.linked("ada@example.com", job_title="T0")
    edits: list[str | None] = []

    def edit_and_poll(value: str, *, skew_to: int | None = None) -> None:
        org.edit("Lead", lead, Title=value)
        edits.append(value)
        if skew_to is not None:  # the skew changes between the edit and the poll
            skew(org, skew_to)
        summary = org.pull()
        assert summary.stopped is None
        assert org.get(pid).job_title == value, f"{value} did not arrive"
        assert summary.changed_fields == 1
        again = org.pull()  # the overlap is read again: nothing is applied twice
        assert again.changed_fields == 0

    skew(org, TEN_MINUTES)  # Salesforce 10 minutes ahead of leadbridge
    for n in range(1, 4):
        edit_and_poll(f"ahead {n}")
    edit_and_poll("edited ahead, polled behind", skew_to=-TEN_MINUTES)
    for n in range(1, 4):
        edit_and_poll(f"behind {n}")
    edit_and_poll("edited behind, polled ahead", skew_to=TEN_MINUTES)
    edit_and_poll("ahead again")
    assert pulled_titles(org, pid) == edits
    with org.w.db.session() as session:  # cursors are Salesforce's times, not leadbridge's
        connector = ConnectorRepository(session)
        cursor, hwm = (connector.cursor("Lead", kind) for kind in (PULL_CURSOR, PULL_HIGH_WATER))
    assert cursor is not None and hwm is not None
    ahead = datetime.now(UTC) + timedelta(seconds=TEN_MINUTES - 60)
    assert ahead < datetime.fromisoformat(cursor)
    # the cursor is the estimate of the org's now (about ±0.5 s); the query reads a little past
    assert ahead < datetime.fromisoformat(hwm) < datetime.fromisoformat(cursor) + READ_AHEAD


def test_an_idle_poll_costs_one_call_per_object_whatever_the_skew(org: Puller) -> None:
    skew(org, -TEN_MINUTES)
    org.pull()  # the first reply shows the org's clock moved: the window is read again
    assert org.pull().api_calls == 2


@pytest.mark.parametrize("seconds", [TEN_MINUTES, -TEN_MINUTES])
def test_deletes_and_undeletes_arrive_under_skew(org: Puller, seconds: int) -> None:
    pid, lead = org.linked("ada@example.com")
    skew(org, seconds)
    org.w.control("DELETE", f"/records/Lead/{lead}")
    assert org.pull().deleted == 1
    assert org.get(pid).recycled
    skew(org, -seconds)  # and the other way round before the undelete is polled
    org.w.control("POST", "/undelete", {"ids": [lead]})
    assert org.pull().restored == 1
    assert not org.get(pid).recycled
