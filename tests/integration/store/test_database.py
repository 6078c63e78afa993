from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, StatementError

from leadbridge.errors import ConfigurationError
from leadbridge.store import Database, MarketingCampaignRepository, open_database
from leadbridge.store.models import ProspectRow


def test_sqlite_file_and_folder_are_created_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "db.sqlite3"
    db = open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        db.dispose()


def test_create_false_refuses_a_missing_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no database"):
        open_database(f"sqlite:///{tmp_path / 'missing.sqlite3'}", create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_create_false_opens_a_migrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    open_database(url).dispose()
    open_database(url, create=False).dispose()


def test_unsupported_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unsupported database"):
        open_database("mysql://localhost/x")


def test_session_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    with db.session() as session:
        MarketingCampaignRepository(session).add("Kept")

    def add_then_fail() -> None:
        with db.session() as session:
            MarketingCampaignRepository(session).add("Dropped")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with db.session() as session:
        assert [c.name for c in MarketingCampaignRepository(session).list()] == ["Kept"]


def test_datetimes_come_back_utc_aware(db: Database) -> None:
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 1, 13, 30, 15, 123456, tzinfo=paris)
    with db.session() as session:
        session.add(
            ProspectRow(
                email="t@example.com", email_key="t@example.com", created_at=at, updated_at=at
            )
        )
    with db.session() as session:
        stored = session.scalar(select(ProspectRow.created_at))
    assert stored == at
    assert stored is not None and stored.tzinfo == UTC
    assert stored.hour == 12


def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 3, 1, 12, 0)
    row = ProspectRow(
        email="t@example.com", email_key="t@example.com", created_at=naive, updated_at=naive
    )
    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:
        session.add(row)


def test_repr_hides_the_password() -> None:
    db = Database.__new__(Database)
    from sqlalchemy import create_engine

    db.engine = create_engine("postgresql+psycopg://user:hunter2@localhost/x")
    assert "hunter2" not in repr(db)
    db.dispose()


def test_readonly_sessions_read_while_a_writer_holds_the_lock(db: Database) -> None:
    with db.session() as session:
        MarketingCampaignRepository(session).add("Spring")
    with db.session() as writer:
        MarketingCampaignRepository(writer).add("Summer")
        with db.session(readonly=True) as reader:
            assert [c.name for c in MarketingCampaignRepository(reader).list()] == ["Spring"]


@pytest.mark.postgres
def test_readonly_sessions_refuse_writes_on_postgresql(postgres_database: Database) -> None:
    def write_in_readonly() -> None:
        with postgres_database.session(readonly=True) as session:
            MarketingCampaignRepository(session).add("Nope")

    with pytest.raises(DBAPIError, match="read-only"):
        write_in_readonly()
