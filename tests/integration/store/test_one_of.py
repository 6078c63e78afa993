"""`among`: a chunk of keys as one condition, on SQLite (IN) and PostgreSQL (= ANY(array)):
the same rows either way, for integer and text keys, in selects, updates and deletes."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from leadbridge.domain.fields import Origin
from leadbridge.store import Database, ProspectRepository
from leadbridge.store.chunks import one_of
from leadbridge.store.models import ProspectRow
from tests.integration.store.support import FakeClock


def _ids(db: Database, clock: FakeClock, count: int) -> list[int]:
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        return [
            prospects.add({"email": f"a{n}@among.example.com"}, origin=Origin.USER, actor="t").id
            for n in range(count)
        ]


def test_among_matches_what_in_matches(db: Database, clock: FakeClock) -> None:
    ids = _ids(db, clock, 6)
    wanted = [ids[4], ids[1], ids[4], -1]  # out of order, repeated, one that is no one
    with db.session() as session:
        by_id = select(ProspectRow.id).where(one_of(session, ProspectRow.id, wanted))
        assert sorted(session.scalars(by_id)) == sorted({ids[1], ids[4]})
        emails = ["a2@among.example.com", "nobody@among.example.com"]
        by_email = select(ProspectRow.id).where(one_of(session, ProspectRow.email, emails))
        assert list(session.scalars(by_email)) == [ids[2]]
        session.execute(
            update(ProspectRow)
            .where(one_of(session, ProspectRow.id, ids[:2]))
            .values(crm_owner_id="005000000000001AAA")
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(ProspectRow)
            .where(one_of(session, ProspectRow.id, [ids[5]]))
            .execution_options(synchronize_session=False)
        )
    with db.session(readonly=True) as session:
        owned = select(func.count()).where(ProspectRow.crm_owner_id.is_not(None))
        assert session.scalar(owned) == 2
        assert session.scalar(select(func.count()).select_from(ProspectRow)) == 5
