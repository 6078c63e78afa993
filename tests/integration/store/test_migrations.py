"""Migrating an empty database to head gives exactly the models' schema, on both backends."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from leadbridge.store import open_database
from leadbridge.store.migrate import alembic_config, current_revision, head_revision
from leadbridge.store.models import Base
from tests.integration.store.support import PostgresServer, unique_name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = unique_name("migration")
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


def _diffs(engine: Engine) -> list[object]:
    # SQLite's reflection skips expression indexes (lower(company)); they are compared by
    # name in test_expression_indexes_exist.
    with warnings.catch_warnings(), engine.connect() as connection:
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _partial_indexes(engine: Engine) -> dict[str, bool]:
    """Index name → whether the database has it as a partial index."""
    found: dict[str, bool] = {}
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        else:
            rows = connection.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes")
        for name, definition in rows:
            found[name] = " WHERE " in definition.upper()
    return found


def test_migrating_an_empty_database_gives_the_models_schema(empty_url: str) -> None:
    db = open_database(empty_url)
    try:
        assert _diffs(db.engine) == []
        assert current_revision(db.engine) == head_revision()
        partial = _partial_indexes(db.engine)
        for table in Base.metadata.tables.values():
            for index in table.indexes:
                where = index.dialect_options[db.backend]["where"]
                assert partial[str(index.name)] == (where is not None), index.name
    finally:
        db.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(empty_url: str) -> None:
    db = open_database(empty_url)
    try:
        command.downgrade(alembic_config(db.engine), "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(alembic_config(db.engine), "head")
        assert _diffs(db.engine) == []
    finally:
        db.dispose()


def test_the_console_migration_keeps_users_links_and_allows_sales_managers(empty_url: str) -> None:
    """0007 rebuilds `users` on SQLite to change its role CHECK; nothing that refers to a
    user may cascade away meanwhile, and the foreign keys are on again after."""
    from sqlalchemy import create_engine, exc, text
    from sqlalchemy.engine import make_url

    from leadbridge.store.database import _sqlite_engine

    url = make_url(empty_url)
    # On SQLite, leadbridge's own engine: foreign keys on, as in use.
    engine = (
        _sqlite_engine(url, create=True)
        if url.get_backend_name() == "sqlite"
        else create_engine(url)
    )
    command.upgrade(alembic_config(engine), "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, email_key, name, role, active) "
                "VALUES (1, 'a@x.com', 'a@x.com', 'A', 'sales', true)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO user_crm_links (user_id, crm_user_id, crm_username) "
                "VALUES (1, '005000000000001AAA', 'a@x.com')"
            )
        )
    command.upgrade(alembic_config(engine), "head")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM user_crm_links")).scalar() == 1
        connection.execute(text("UPDATE users SET role = 'sales_manager' WHERE id = 1"))
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE users SET role = 'boss' WHERE id = 1"))
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_expression_indexes_exist(empty_url: str) -> None:
    """The console's prefix-search indexes on lower(...), which reflection does not compare."""
    database = open_database(empty_url)
    try:
        with database.engine.connect() as connection:
            if database.engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index'"
                )
            else:
                rows = connection.exec_driver_sql("SELECT indexname FROM pg_indexes")
            names = {row[0] for row in rows}
    finally:
        database.dispose()
    for column in ("first_name", "last_name", "company"):
        assert f"ix_prospects_{column}_lower" in names


def test_0011_keeps_import_runs_and_their_reports_and_allows_interrupted(empty_url: str) -> None:
    """0011 rebuilds `import_runs` on SQLite to widen its status CHECK; the runs and their
    report rows (which cascade from them) stay."""
    from sqlalchemy import create_engine, exc, text
    from sqlalchemy.engine import make_url

    from leadbridge.store.database import _sqlite_engine

    url = make_url(empty_url)
    engine = (
        _sqlite_engine(url, create=True)
        if url.get_backend_name() == "sqlite"
        else create_engine(url)
    )
    command.upgrade(alembic_config(engine), "0010")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO import_runs (id, actor, filename, undelete, status, started_at, "
                "rows_done, counts) VALUES (1, 'a', 'f.csv', false, 'running', "
                "'2026-01-01 00:00:00', 0, '{}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO import_run_rows (run_id, status, attention, warnings) "
                "VALUES (1, 'created', false, '[]')"
            )
        )
    command.upgrade(alembic_config(engine), "head")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM import_run_rows")).scalar() == 1
        connection.execute(text("UPDATE import_runs SET status = 'interrupted' WHERE id = 1"))
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE import_runs SET status = 'lost' WHERE id = 1"))
    engine.dispose()
