"""The automation suite runs on the store suite's databases (SQLite, and PostgreSQL when it
is reachable), with its fixtures."""

from __future__ import annotations

from tests.integration.store.conftest import (
    clock,
    db,
    postgres_database,
    postgres_server,
    sqlite_template,
)

__all__ = ["clock", "db", "postgres_database", "postgres_server", "sqlite_template"]
