"""Alembic environment: run by `leadbridge.store.migrate` with an engine in the config.

Standalone use (`alembic -c …`) takes the URL from `sqlalchemy.url` or
LEADBRIDGE_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

from leadbridge.store.models import Base

# Any fixed number: serialises concurrent upgrades of one PostgreSQL database.
_PG_LOCK_KEY = 0x1EADB1D6E


def _engine() -> Engine:
    given = context.config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "LEADBRIDGE_DATABASE_URL"
    )
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or LEADBRIDGE_DATABASE_URL")
    return create_engine(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite rebuilds a table to alter it (batch mode), and dropping the old table with
    foreign keys on would cascade to every row that refers to it. The pragma only takes
    effect outside a transaction, so it is set on the driver's connection before the
    migration's transaction begins, and set back after it ends."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            _run(connection)
        finally:
            if sqlite:
                connection.rollback()
                _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():
    raise RuntimeError("leadbridge migrations run online only")
run_migrations_online()
