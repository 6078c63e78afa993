"""Salesforce stores datetimes in whole seconds, so many records share one SystemModstamp: the
pull loses none of them and re-applies none, across query batches and the engine's pages, and
when a record changes again within the second its cursor ended in. The sandbox clock is frozen
through the control plane, so every change below is stamped in the same second."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.pull import PULL_CURSOR
from leadbridge.store.connector import ConnectorRepository
from leadbridge.sync.pull import PullEngine, PullSummary
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import Wired

MANY = 2_500  # more than one query batch (2,000) and one engine page
COLLECTION = 200  # sObject Collections' limit per call


@pytest.fixture
def org(wired: Wired) -> Iterator[Puller]:
    puller = Puller(wired)
    wired.control("POST", "/clock", {"freeze": True})
    yield puller
    wired.control("POST", "/clock", {"reset": True})


def engine(org: Puller, *, page_size: int = 2000) -> PullEngine:
    return PullEngine(org.w.db, org.w.crm, org.w.clock, page_size=page_size)


def set_org_time(org: Puller, moment: datetime) -> None:
    """Move the frozen org clock to `moment`."""
    shown = org.w.control("POST", "/clock", {})
    now = datetime.fromisoformat(shown["now"])
    offset = float(shown["offset_seconds"]) + (moment - now).total_seconds()
    org.w.control("POST", "/clock", {"offset_seconds": offset})


def pull(org: Puller, **options: Any) -> PullSummary:
    org.now()
    summary = engine(org, **options).run_once()
    assert summary.stopped is None
    return summary


def edit_titles(org: Puller, titles: dict[str, str]) -> None:
    """Sales reps' edits, through sObject Collections (200 records a call)."""
    items = list(titles.items())
    token = org.w.sandbox.token()
    for start in range(0, len(items), COLLECTION):
        records = [
            {"attributes": {"type": "Lead"}, "Id": lead, "Title": title}
            for lead, title in items[start : start + COLLECTION]
        ]
        reply = org.w.sandbox.api(
            "PATCH", "/composite/sobjects", token, json={"allOrNone": True, "records": records}
        )
        assert reply.status_code == 200, reply.text
        assert all(result["success"] for result in reply.json()), reply.text


def stamps(org: Puller, leads: list[str]) -> set[str]:
    marks = ",".join("?" * len(leads))
    rows = org.w.rows(
        f'SELECT DISTINCT "SystemModstamp" FROM "Lead" WHERE "Id" IN ({marks})', *leads
    )
    return {str(row["SystemModstamp"]) for row in rows}


def linked_many(org: Puller, count: int) -> tuple[list[int], list[str]]:
    ids = org.w.add_many([{"email": f"p{n}@example.com", "job_title": "T0"} for n in range(count)])
    org.now()
    org.w.engine().run_once()
    rows = org.w.rows('SELECT "Id", "Email" FROM "Lead"')
    by_email = {str(row["Email"]): str(row["Id"]) for row in rows}
    leads = [by_email[f"p{n}@example.com"] for n in range(count)]
    return ids, leads


def titles(org: Puller, ids: list[int]) -> list[str | None]:
    return [org.get(pid).job_title for pid in ids]


def test_thousands_of_changes_in_one_second_all_arrive_once(org: Puller) -> None:
    org.mapping("job_title", "Title", SyncBehaviour.USE_SALESFORCE)
    ids, leads = linked_many(org, MANY)
    first = pull(org)  # settles the window the creations were stamped in
    assert first.changed_fields == 0

    edit_titles(org, {lead: f"T1-{n}" for n, lead in enumerate(leads)})
    assert len(stamps(org, leads)) == 1  # all in one second
    assert next(iter(stamps(org, leads))).endswith(".000+0000")
    summary = pull(org)
    assert summary.pulled == MANY
    assert summary.changed_fields == MANY
    assert titles(org, ids) == [f"T1-{n}" for n in range(MANY)]

    # A change in the very second the last poll's cursor ended in: read by the next poll.
    with org.w.db.session() as session:
        cursor = ConnectorRepository(session).cursor("Lead", PULL_CURSOR)
    assert cursor is not None
    set_org_time(org, datetime.fromisoformat(cursor))
    edit_titles(org, {leads[7]: "T2"})
    stamp = next(iter(stamps(org, [leads[7]])))
    assert stamp.startswith(datetime.fromisoformat(cursor).strftime("%Y-%m-%dT%H:%M:%S.000"))
    again = pull(org)
    assert again.changed_fields == 1  # the others are read again but are no change
    assert org.get(ids[7]).job_title == "T2"
    quiet = pull(org)
    assert quiet.changed_fields == 0  # no loop: nothing is applied twice


def test_ties_across_small_engine_pages(org: Puller) -> None:
    """The engine's own pages (here 7 records) split one second's records: none lost."""
    org.mapping("job_title", "Title", SyncBehaviour.USE_SALESFORCE)
    ids, leads = linked_many(org, 30)
    pull(org, page_size=7)
    edit_titles(org, {lead: f"X{n}" for n, lead in enumerate(leads)})
    summary = pull(org, page_size=7)
    assert summary.changed_fields == 30
    assert titles(org, ids) == [f"X{n}" for n in range(30)]
    with org.w.db.session() as session:
        cursor = ConnectorRepository(session).cursor("Lead", PULL_CURSOR)
    assert cursor is not None
    set_org_time(org, datetime.fromisoformat(cursor))
    edit_titles(org, {leads[29]: "Y"})
    assert pull(org, page_size=7).changed_fields == 1
    assert org.get(ids[29]).job_title == "Y"
    assert pull(org, page_size=7).changed_fields == 0
