"""Writing many new rows whose ids nobody needs back (audit rows, outbox items, activity):
COPY on PostgreSQL, a plain executemany elsewhere (`bulk_rows` when ids or updates matter).

SQLAlchemy sends an executemany INSERT on PostgreSQL as multi-row VALUES statements whose
text changes with the number of rows, so the driver parses each one afresh; COPY sends the
rows as data, with one short statement. Values are given as the columns hold them: a
datetime aware, an enum (StrEnum) as its value, a dict or list for a JSON column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def copy_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (each with the same columns) into `table` in this transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_plain(row[column]) for column in columns])


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value
