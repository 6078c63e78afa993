"""SQLite triggers that note every write to a selected entity in the writing transaction.

Temporary (connection-only) triggers on the entity's table add a row to `_cdc_touched` per
inserted, updated or deleted record, and keep the record's row as it was before its first
update in the transaction in `_cdc_old_<Entity>`. Both are temporary tables, so a rollback
(or a savepoint's) takes the notes away with the writes. Entities not selected have no
triggers at all: their saves cost nothing more.
"""

from __future__ import annotations

import sqlite3

from leadbridge.sandbox.storage import quote

TOUCHED = "_cdc_touched"


def create_touched(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} "
        "(seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, record_id TEXT NOT NULL, op TEXT NOT NULL)"
    )


def old_table(entity: str) -> str:
    return quote(f"_cdc_old_{entity}")


def _trigger(entity: str, op: str) -> str:
    return quote(f"_cdc_{entity}_{op}")


def install(conn: sqlite3.Connection, entity: str) -> None:
    table = quote(entity)
    columns = [str(row[1]) for row in conn.execute(f"PRAGMA main.table_info({table})")]
    shadow = old_table(entity)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {shadow} AS SELECT * FROM main.{table} WHERE 0")
    conn.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS temp.{quote(f'_cdc_old_{entity}_id')} "
        f'ON {shadow} ("Id")'
    )
    names = ", ".join(quote(column) for column in columns)
    olds = ", ".join(f"OLD.{quote(column)}" for column in columns)
    literal = "'" + entity.replace("'", "''") + "'"
    note = f"INSERT INTO {TOUCHED} (entity, record_id, op) VALUES ({literal}, "
    conn.execute(
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_trigger(entity, 'i')} AFTER INSERT ON main.{table} "
        f"BEGIN {note}NEW.\"Id\", 'I'); END"
    )
    conn.execute(
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_trigger(entity, 'u')} AFTER UPDATE ON main.{table} "
        f"BEGIN {note}NEW.\"Id\", 'U'); "
        f"INSERT OR IGNORE INTO {shadow} ({names}) VALUES ({olds}); END"
    )
    conn.execute(
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_trigger(entity, 'd')} AFTER DELETE ON main.{table} "
        f"BEGIN {note}OLD.\"Id\", 'D'); "
        f"INSERT OR IGNORE INTO {shadow} ({names}) VALUES ({olds}); END"
    )


def remove(conn: sqlite3.Connection, entity: str) -> None:
    for op in "iud":
        conn.execute(f"DROP TRIGGER IF EXISTS temp.{_trigger(entity, op)}")
    conn.execute(f"DROP TABLE IF EXISTS temp.{old_table(entity)}")
