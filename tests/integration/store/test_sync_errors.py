from __future__ import annotations

import pytest

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store import Database, ProspectRepository, SyncErrorRepository
from tests.integration.store.support import FakeClock


def test_repeated_errors_count_attempts_and_resolve(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        prospect = ProspectRepository(session, clock).add(
            {"email": "a@example.com"}, origin=Origin.USER, actor=None
        )
        errors = SyncErrorRepository(session, clock)
        first = errors.record(
            prospect.id,
            error_code="STRING_TOO_LONG",
            message="too long",
            crm_object="Lead",
            fields=["Company"],
        )
        clock.tick()
        again = errors.record(
            prospect.id,
            error_code="STRING_TOO_LONG",
            message="still long",
            crm_object="Lead",
            crm_id="00Q1",
            fields=["Company"],
        )
        assert again.id == first.id and again.attempts == 2
        assert (again.first_seen_at, again.last_seen_at) == (first.first_seen_at, clock.now())
        assert again.fields == ("Company",) and again.crm_id == "00Q1"
        other = errors.record(None, error_code="INSUFFICIENT_ACCESS", message="no")
        assert errors.counts_by_code() == {"STRING_TOO_LONG": 1, "INSUFFICIENT_ACCESS": 1}
        assert [e.id for e in errors.open(limit=1)] == [first.id]
        assert [e.id for e in errors.open(after_id=first.id)] == [other.id]
        errors.resolve_for_prospect(prospect.id)
        errors.resolve([other.id])
        assert errors.open() == []
        assert errors.for_prospect(prospect.id)[0].resolved_at == clock.now()
        fresh = errors.record(
            prospect.id, error_code="STRING_TOO_LONG", message="x", crm_object="Lead"
        )
        assert fresh.id != first.id and fresh.attempts == 1
        with pytest.raises(InputError):
            errors.open(limit=0)
