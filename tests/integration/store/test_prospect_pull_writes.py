"""`apply_crm_values`, the pull's set-based write, has the effect of `update` per prospect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from leadbridge.domain.fields import FieldType, Origin
from leadbridge.errors import InputError
from leadbridge.store import (
    AuditRepository,
    CustomFieldRepository,
    Database,
    MarketingCampaignRepository,
    ProspectRepository,
)
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect_pull_writes import apply_crm_values
from tests.integration.store.support import FakeClock

CHANGES: list[dict[str, Any]] = [
    {"job_title": "CTO", "last_name": "Lovelace"},  # two columns
    {"job_title": "CTO"},  # another set of columns
    {"tier": "Gold", "marketing_campaign": "Spring"},  # a custom field, the campaign
    {"job_title": "Engineer", "city": "Paris"},  # nothing really changes
    {"employees": "lots", "job_title": "CEO"},  # refused: not a number
    {"email": "new@example.com"},  # refused: email goes through update
]


def _prospects(db: Database, clock: FakeClock, group: str) -> list[int]:
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        return [
            prospects.add(
                {"email": f"{group}{n}@example.com", "job_title": "Engineer", "city": "Paris"},
                origin=Origin.USER,
                actor=None,
            ).id
            for n in range(len(CHANGES))
        ]


def _state(db: Database, ids: list[int]) -> list[tuple[Any, ...]]:
    """Each prospect's fields (not its id or email) and audit entries."""
    with db.session(readonly=True) as session:
        prospects = ProspectRepository(session, FakeClock())
        audit = AuditRepository(session)
        found = []
        for pid in ids:
            prospect = prospects.get(pid)
            entries = sorted(
                (e.field, e.old_value, e.new_value, e.origin, e.actor, e.at)
                for e in audit.for_prospect(pid)
            )
            fields = {
                name: value
                for name, value in vars(prospect).items()
                if name not in ("id", "email", "email_key")
            }
            found.append((fields, entries))
        return found


def test_the_same_effect_as_update_per_prospect(db: Database) -> None:
    clock = FakeClock()
    with db.session() as session:
        CustomFieldRepository(session).add(
            "tier", "Tier", FieldType.DROPDOWN, options=["Gold", "Silver"]
        )
        MarketingCampaignRepository(session).add("Spring")
    ours, theirs = _prospects(db, clock, "a"), _prospects(db, clock, "b")
    clock.tick(60)
    with db.session() as session:
        repository = ProspectRepository(session, clock)
        changes = {
            pid: (repository.get(pid), change) for pid, change in zip(ours, CHANGES, strict=True)
        }
        loaded = session.scalar(select(ProspectRow).where(ProspectRow.id == ours[0]))
        assert loaded is not None and loaded.job_title == "Engineer"
        written, refused = apply_crm_values(session, clock, changes, actor="salesforce")
        assert loaded.job_title == "CTO"  # the session's copy is not stale
    assert written == {ours[0]: 2, ours[1]: 1, ours[2]: 2}
    assert set(refused) == {ours[4], ours[5]}
    assert isinstance(refused[ours[5]], InputError)
    assert "employees" in str(refused[ours[4]])

    with db.session() as session:
        repository = ProspectRepository(session, clock)
        for pid, change in zip(theirs[:4], CHANGES[:4], strict=True):
            repository.update(pid, change, origin=Origin.SALESFORCE, actor="salesforce")
    applied, expected = _state(db, ours), _state(db, theirs)
    assert applied[:4] == expected[:4]
    assert applied[4:] == _state(db, theirs[4:])  # refused: untouched
    assert applied[2][0]["custom"] == {"tier": "Gold"}
    assert applied[2][0]["marketing_campaign"] == "Spring"
    assert applied[0][0]["updated_at"] == clock.now()
    assert applied[3][0]["updated_at"] < clock.now()  # nothing really changed
