"""`ProspectRepository.add_many`: prospects as `add` makes them, in bulk, and the snapshots it
hands back are the prospects as stored (built without reading them back when they can be)."""

from __future__ import annotations

from leadbridge.domain.fields import FieldType, Origin
from leadbridge.store import AuditRepository, CustomFieldRepository, Database, ProspectRepository
from tests.integration.store.support import FakeClock


def test_snapshots_equal_the_stored_prospects(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("plan", "Plan", FieldType.TEXT)
    rows = [
        {"email": " Ada@Example.com ", "first_name": "Ada", "score": "7", "annual_revenue": "12.5",
         "employees": "40", "opted_out": "true", "country": "France"},
        {"email": "bob@example.com"},
        {"email": "cy@example.com", "plan": "gold"},  # a custom value: read back
    ]  # fmt: skip
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        plain = prospects.add_many(rows[:2], origin=Origin.IMPORT, actor=None)
        custom = prospects.add_many(rows[2:], origin=Origin.IMPORT, actor="me")
    with db.session(readonly=True) as session:
        prospects = ProspectRepository(session, clock)
        assert [prospects.get(p.id) for p in plain + custom] == plain + custom
        entries = [AuditRepository(session).for_prospect(p.id) for p in plain + custom]
    assert plain[0].email == "Ada@Example.com" and plain[0].score == 7
    assert custom[0].custom == {"plan": "gold"}
    assert [[(e.field, e.new_value, e.origin, e.actor) for e in found] for found in entries] == [
        [("prospect", "created", Origin.IMPORT, None)],
        [("prospect", "created", Origin.IMPORT, None)],
        [("prospect", "created", Origin.IMPORT, "me")],
    ]
