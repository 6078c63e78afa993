"""Pushes against per-record faults of the sandbox org: row locks inside successful replies
(`record_lock`) are resent for those records only, and shuffled Bulk results (`bulk_shuffle`)
still land on the right prospects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from leadbridge.store import OutboxRepository, ProspectRepository, SyncErrorRepository
from leadbridge.store.outbox import PUSH
from tests.integration.sync.conftest import Wired


def org_usage(wired: Wired) -> int:
    return int(wired.control("GET", "/usage")["used"])


def leads_by_email(wired: Wired) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in wired.rows('SELECT "Id", "Email" FROM "Lead" WHERE "IsDeleted" = 0'):
        found.setdefault(str(row["Email"]), []).append(str(row["Id"]))
    return found


@pytest.fixture
def upserted(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The key of every record the sandbox org upserted (its own count of record writes)."""
    org = wired.sandbox.server.backend.org
    original: Callable[..., Any] = org.upsert
    keys: Counter[str] = Counter()

    def counting(object_name: str, field_name: str, key: str, *args: Any, **kw: Any) -> Any:
        keys[key] += 1
        return original(object_name, field_name, key, *args, **kw)

    monkeypatch.setattr(org, "upsert", counting)
    return keys


def test_locked_records_are_resent_alone_and_land_once(
    wired: Wired, upserted: Counter[str]
) -> None:
    emails = [f"p{n}@example.com" for n in range(50)]
    wired.add_many([{"email": email} for email in emails])
    wired.crm.connect()
    before = org_usage(wired)
    wired.control(
        "POST",
        "/faults",
        {"kind": "record_lock", "next_n": 3, "path_contains": "/composite/sobjects/Lead"},
    )
    summary = wired.engine().run_once()
    assert (summary.created, summary.error_count) == (50, 0)
    found = leads_by_email(wired)
    assert sorted(found) == sorted(emails)
    assert all(len(ids) == 1 for ids in found.values())  # no duplicates
    # the org's own counts: one more upsert call than without locks, and every record
    # written once (the 3 locked ones were refused unsaved, then resent alone)
    assert org_usage(wired) - before == summary.api_calls
    assert wired.crm.usage().calls_by_kind["upsert"] == 2
    assert len(upserted) == 50 and set(upserted.values()) == {1}


def test_records_still_locked_stay_queued_for_the_next_cycle(wired: Wired) -> None:
    ids = wired.add_many([{"email": f"p{n}@example.com"} for n in range(3)])
    wired.crm.connect()
    wired.control("POST", "/faults", {"kind": "record_lock", "probability": 1.0})
    first = wired.engine().run_once()
    assert (first.created, dict(first.errors)) == (0, {"transient": 3})
    assert wired.crm.usage().calls_by_kind["upsert"] == 2  # fast_client: 2 tries at most
    with wired.db.session() as session:
        errors = [
            error
            for prospect_id in ids
            for error in SyncErrorRepository(session, wired.clock).for_prospect(prospect_id)
        ]
        assert OutboxRepository(session, wired.clock).count_pending(PUSH) == 3
    assert [error.error_code for error in errors] == ["UNABLE_TO_LOCK_ROW"] * 3
    assert all("still had this record locked" in error.message for error in errors)
    assert all("after 2 tries" in error.message for error in errors)
    assert all("sends it again in a later sync" in error.message for error in errors)
    wired.control("DELETE", "/faults")
    wired.clock.advance(seconds=31)
    second = wired.engine().run_once()
    assert (second.created, second.error_count) == (3, 0)
    found = leads_by_email(wired)
    assert len(found) == 3 and all(len(ids) == 1 for ids in found.values())


def test_a_bulk_push_with_shuffled_results_links_every_prospect_to_its_lead(
    wired: Wired, upserted: Counter[str]
) -> None:
    wired.service.set("bulk_threshold", "5")
    crm = wired.crm
    crm.bulk_threshold = 5
    emails = [f"p{n}@example.com" for n in range(40)]
    ids = wired.add_many(
        [{"email": email, "job_title": f"Title {n}"} for n, email in enumerate(emails)]
    )
    wired.control("POST", "/faults", {"kind": "bulk_shuffle", "probability": 1.0, "seed": 11})
    wired.control("POST", "/faults", {"kind": "record_lock", "next_n": 3, "object": "Lead"})
    summary = wired.engine().run_once()
    assert (summary.created, summary.error_count) == (40, 0)
    assert crm.usage().calls_by_kind.get("bulk", 0) > 0
    assert crm.usage().calls_by_kind["upsert"] == 1  # the 3 locked ones, below the threshold
    found = leads_by_email(wired)
    assert sorted(found) == sorted(emails) and all(len(v) == 1 for v in found.values())
    with wired.db.session() as session:
        prospects = ProspectRepository(session, wired.clock)
        linked = {prospects.get(i).email: prospects.get(i).crm_lead_id for i in ids}
    assert linked == {email: found[email][0] for email in emails}
    assert len(upserted) == 40 and set(upserted.values()) == {1}
