"""Many rows in one statement (`store.bulk_rows`), on SQLite and PostgreSQL: inserted in their
order with their values as the ORM writes them, updated by id per set of columns, and an
over-long value refused rather than cut."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import DataError

from leadbridge.domain.fields import Origin
from leadbridge.ports import Clock
from leadbridge.store import Database, ProspectRepository
from leadbridge.store.bulk_rows import insert_rows, update_rows
from leadbridge.store.models import AuditRow, OutboxRow, ProspectRow

AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]
PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]
AT = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
LATER = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


def test_rows_inserted_in_order_then_updated_by_id(db: Database, clock: Clock) -> None:
    with db.session() as session:
        repository = ProspectRepository(session, clock)
        ids = [
            repository.add({"email": f"p{n}@example.com"}, origin=Origin.USER, actor="t").id
            for n in range(3)
        ]
        rows = [
            {
                "prospect_id": pid,
                "field": "score",
                "old_value": None,
                "new_value": str(n),
                "at": AT,
                "origin": Origin.AUTOMATION,
                "actor": "rule",
            }
            for n, pid in enumerate(ids)
        ]
        insert_rows(session.connection(), AUDIT, rows)
        update_rows(
            session.connection(),
            PROSPECTS,
            [
                {"_id": ids[0], "score": 7, "do_not_sync": True},
                {"_id": ids[2], "score": 9, "do_not_sync": False},
                {"_id": ids[1], "city": "Oslo"},
            ],
        )
    with db.session() as session:
        written = session.execute(
            select(AuditRow.prospect_id, AuditRow.new_value, AuditRow.at, AuditRow.origin)
            .where(AuditRow.field == "score")
            .order_by(AuditRow.id)
        ).all()
        prospects = session.execute(
            select(ProspectRow.score, ProspectRow.do_not_sync, ProspectRow.city).order_by(
                ProspectRow.id
            )
        ).all()
    assert [tuple(row) for row in written] == [
        (pid, str(n), AT, Origin.AUTOMATION) for n, pid in enumerate(ids)
    ]
    assert [tuple(row) for row in prospects] == [
        (7, True, None),
        (0, False, "Oslo"),
        (9, False, None),
    ]


@pytest.mark.postgres
def test_an_over_long_value_is_refused_not_cut(postgres_database: Database, clock: Clock) -> None:
    with postgres_database.session() as session:
        prospect = ProspectRepository(session, clock).add(
            {"email": "long@example.com"}, origin=Origin.USER, actor="t"
        )
        row = {
            "prospect_id": prospect.id,
            "field": "x" * 64,
            "old_value": None,
            "new_value": None,
            "at": AT,
            "origin": Origin.USER,
            "actor": None,
        }
        with pytest.raises(DataError):
            insert_rows(session.connection(), AUDIT, [row])
        session.rollback()


def test_a_column_default_left_out_is_filled_in(db: Database, clock: Clock) -> None:
    with db.session() as session:
        prospect = ProspectRepository(session, clock).add(
            {"email": "default@example.com"}, origin=Origin.USER, actor="t"
        )
        outbox: Table = OutboxRow.__table__  # type: ignore[assignment]
        row = {
            "kind": "push",
            "prospect_id": prospect.id,
            "reason": "r",
            "created_at": AT,
            "available_at": AT,
        }
        insert_rows(session.connection(), outbox, [row])
    with db.session() as session:
        attempts = session.scalars(
            select(OutboxRow.attempts).where(OutboxRow.prospect_id == prospect.id)
        ).all()
    assert attempts == [0]


def test_empty_columns_stay_null_and_the_ids_come_back(db: Database, clock: Clock) -> None:
    with db.session() as session:
        prospect = ProspectRepository(session, clock).add(
            {"email": "ids@example.com"}, origin=Origin.USER, actor="t"
        )
        rows = [
            {
                "prospect_id": prospect.id,
                "field": f"f{n}",
                "old_value": None,  # NULL in every row: left out of the INSERT on PostgreSQL
                "new_value": None if n else "x",
                "at": AT if n < 2 else LATER,  # a value converted once, then another
                "origin": Origin.AUTOMATION,
                "actor": None,
            }
            for n in range(3)
        ]
        returned = insert_rows(session.connection(), AUDIT, rows, ("id", "field"))
    with db.session() as session:
        written = session.execute(
            select(AuditRow.id, AuditRow.field, AuditRow.old_value, AuditRow.new_value, AuditRow.at)
            .where(AuditRow.field.like("f%"))
            .order_by(AuditRow.id)
        ).all()
    assert [tuple(row)[1:] for row in written] == [
        ("f0", None, "x", AT),
        ("f1", None, None, AT),
        ("f2", None, None, LATER),
    ]
    if db.engine.dialect.name == "postgresql":  # one statement: the ids with it
        assert returned is not None
        assert sorted(returned) == [(row.id, row.field) for row in written]
    else:
        assert returned is None
