"""`INSERT … ON CONFLICT` in the session's dialect, its module loaded when first used: on
SQLite, SQLAlchemy's PostgreSQL dialect (tens of milliseconds to import) is never loaded."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Any) -> Any:
    """An insert on `table` that has `on_conflict_do_nothing` (PostgreSQL's or SQLite's)."""
    name = session.get_bind().dialect.name
    module = import_module(
        "sqlalchemy.dialects.postgresql" if name == "postgresql" else "sqlalchemy.dialects.sqlite"
    )
    return module.insert(table)
