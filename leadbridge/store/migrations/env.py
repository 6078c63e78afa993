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


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        _run(connection)


if context.is_offline_mode():
    raise RuntimeError("leadbridge migrations run online only")
run_migrations_online()
