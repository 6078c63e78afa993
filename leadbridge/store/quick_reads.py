"""Reads for the CLI's everyday listings with the standard library's sqlite3 alone.

Importing SQLAlchemy and mapping the models costs a command more than half a second on a
small machine, three times the rest of its work: a person listing prospects should not wait
for it. These reads serve the human output of the simple listing commands on the embedded
SQLite database, opened read-only, when it is already at the newest schema. Anything else
(PostgreSQL, a database still to create or migrate, `--json`) takes the full path, whose
queries these repeat in plain SQL; the tests run both on the same data and compare them.

This module imports neither SQLAlchemy nor the models (an import-linter contract keeps it so).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from leadbridge.domain.crm_link import crm_link
from leadbridge.domain.emails import email_key
from leadbridge.domain.paging import check_page_size
from leadbridge.errors import NotFoundError
from leadbridge.store.schema_head import quick_head

SQLITE_PREFIX = "sqlite:///"
BUSY_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ProspectLine:
    """One row of `leadbridge prospects list`."""

    id: int
    email: str
    first_name: str | None
    last_name: str | None
    company: str | None
    assigned_user: str | None
    crm_link: str

    @classmethod
    def of(cls, listed: Mapping[str, Any]) -> ProspectLine:
        """The line for one prospect as `ProspectService.list` answers it (the full path)."""
        return cls(**{field.name: listed[field.name] for field in fields(cls)})


def open_reader(database_url: str) -> sqlite3.Connection | None:
    """A read-only connection to the SQLite file at `database_url` when it exists and is at
    the newest schema; None when the full path must open it (it creates and migrates)."""
    path = _sqlite_path(database_url)
    if path is None or not path.is_file():
        return None
    head = quick_head()
    if head is None:
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error:
        return None
    try:
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error:
        versions = []
    if versions != [head]:
        connection.close()
        return None
    return connection


def _sqlite_path(database_url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL (SQLAlchemy's meaning); None for any other
    URL, in-memory databases and URLs with options, which the full path understands."""
    if not database_url.startswith(SQLITE_PREFIX):
        return None
    path = unquote(database_url[len(SQLITE_PREFIX) :])  # as SQLAlchemy reads it
    if not path or "?" in path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


_PROSPECT_PAGE = """
SELECT p.id, p.email, p.first_name, p.last_name, p.company, u.email,
       p.crm_contact_id, p.crm_lead_id, p.do_not_sync, p.assigned_user_id
FROM prospects AS p LEFT JOIN users AS u ON u.id = p.assigned_user_id
WHERE p.recycled = {recycled} AND p.id > ? {assigned}
ORDER BY p.id
LIMIT ?
"""


def prospect_page(
    connection: sqlite3.Connection,
    *,
    limit: int,
    after_id: int | None,
    recycled: bool,
    assigned_to: str | None,
) -> list[ProspectLine]:
    """What `ProspectService.list` answers, as listing lines (same order, same filters)."""
    check_page_size(limit)
    # recycled as a literal, as the full path writes it: SQLite then uses the partial index.
    parameters: list[object] = [-1 if after_id is None else after_id]
    assigned = ""
    if assigned_to:
        parameters.append(_user_id(connection, assigned_to))
        assigned = "AND p.assigned_user_id = ?"
    parameters.append(limit)
    rows = connection.execute(
        _PROSPECT_PAGE.format(recycled=int(recycled), assigned=assigned), parameters
    )
    return [
        ProspectLine(
            id=row[0],
            email=row[1],
            first_name=row[2],
            last_name=row[3],
            company=row[4],
            assigned_user=row[5],
            crm_link=crm_link(
                contact_id=row[6],
                lead_id=row[7],
                do_not_sync=bool(row[8]),
                assigned=row[9] is not None,
            ),
        )
        for row in rows
    ]


def _user_id(connection: sqlite3.Connection, email: str) -> int:
    found = connection.execute(
        "SELECT id FROM users WHERE email_key = ?", (email_key(email),)
    ).fetchone()
    if found is None:
        raise NotFoundError(f"no leadbridge user with the email {email!r}")
    return int(found[0])
