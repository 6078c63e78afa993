"""SQLite storage for the org: one table per object, one column per field.

Storage contract (the SOQL compiler relies on it): table name = object API name, column name =
field API name, both double-quoted; an internal `_rowid INTEGER PRIMARY KEY`; text-like fields are
`TEXT COLLATE NOCASE` (Salesforce compares text case-insensitively); booleans are 0/1; datetimes
are fixed-width UTC strings (`2024-01-31T12:00:00.000+0000`) so that text order is time order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .schema import NUMBER_TYPES, FieldDef, ObjectDef, OrgSchema

_META_TABLES = """
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _recycle_bin (
    record_id TEXT COLLATE NOCASE PRIMARY KEY,
    object_name TEXT NOT NULL,
    deleted_date TEXT NOT NULL,
    cascade_root TEXT COLLATE NOCASE
);
CREATE INDEX IF NOT EXISTS _recycle_bin_by_date ON _recycle_bin (object_name, deleted_date);
CREATE INDEX IF NOT EXISTS _recycle_bin_by_root ON _recycle_bin (cascade_root);
"""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_type(field: FieldDef) -> str:
    if field.is_text:
        return "TEXT COLLATE NOCASE"
    if field.type in {"boolean", "int"}:
        return "INTEGER"
    if field.type in NUMBER_TYPES:
        return "REAL"
    return "TEXT"


class OrgDatabase:
    """The org's SQLite connection, shared by all threads under one re-entrant lock."""

    def __init__(self, schema: OrgSchema, path: Path | None = None) -> None:
        self.schema = schema
        self.path = path
        target = str(path) if path else ":memory:"
        self.conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self.lock = threading.RLock()
        self._savepoints = 0
        # _meta values read back (admin user id, assignment rules...): one query each, not one
        # per record saved. Written only by set_meta and wipe; forgotten on any rollback.
        self._meta: dict[str, str | None] = {}
        # Run inside every outermost transaction just before COMMIT (an exception rolls it
        # back), then after it committed: change data capture writes its events there.
        self.before_commit: list[Callable[[], None]] = []
        self.after_commit: list[Callable[[], None]] = []
        self.conn.execute("PRAGMA foreign_keys = OFF")
        if path:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA cache_size = -200000")
        self.conn.execute("PRAGMA temp_store = MEMORY")
        self.conn.executescript(_META_TABLES)
        for obj in schema.objects():
            self._ensure_table(obj)
        self._next_rowid = {obj.name: self._max_rowid(obj) + 1 for obj in schema.objects()}
        self.analyze()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def _ensure_table(self, obj: ObjectDef) -> None:
        table = quote(obj.name)
        existing = {row[1].lower() for row in self.conn.execute(f"PRAGMA table_info({table})")}
        if not existing:
            columns = ", ".join(
                f"{quote(field.name)} {column_type(field)}" for field in obj.iter_fields()
            )
            self.conn.execute(f"CREATE TABLE {table} (_rowid INTEGER PRIMARY KEY, {columns})")
        else:
            for field in obj.iter_fields():
                if field.name.lower() not in existing:
                    self.conn.execute(
                        f"ALTER TABLE {table} ADD COLUMN {quote(field.name)} {column_type(field)}"
                    )
        for field in self._indexed_fields(obj):
            index = quote(f"{obj.name}__{field.name}")
            unique = "UNIQUE " if field.name == "Id" else ""
            self.conn.execute(
                f"CREATE {unique}INDEX IF NOT EXISTS {index} ON {table} ({quote(field.name)})"
            )

    @staticmethod
    def _indexed_fields(obj: ObjectDef) -> list[FieldDef]:
        # No index on IsDeleted: it is not selective, and SQLite would prefer it to Email.
        always = {"id", "systemmodstamp", "lastmodifieddate"}
        return [
            field
            for field in obj.iter_fields()
            if field.name.lower() in always
            or field.indexed
            or field.unique
            or field.external_id
            or field.type == "reference"
        ]

    @contextmanager
    def deferred_indexes(self, obj: ObjectDef) -> Iterator[None]:
        """Drop the table's secondary indexes while bulk-loading; rebuild them afterwards.

        Building an index once over sorted data is many times faster than keeping a dozen
        B-trees up to date row by row.
        """
        with self.lock:
            names = [
                str(row[0])
                for row in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
                    (obj.name,),
                )
            ]
            for name in names:
                self.conn.execute(f"DROP INDEX {quote(name)}")
            try:
                yield
            finally:
                self._ensure_table(obj)
                self.analyze()

    def analyze(self) -> None:
        """Refresh the planner's statistics (sampled, so it stays fast on big tables)."""
        with self.lock:
            self.conn.execute("PRAGMA analysis_limit = 1000")
            self.conn.execute("ANALYZE")

    def _max_rowid(self, obj: ObjectDef) -> int:
        row = self.conn.execute(f"SELECT MAX(_rowid) FROM {quote(obj.name)}").fetchone()
        return int(row[0] or 0)

    def allocate_rowids(self, obj: ObjectDef, count: int = 1) -> int:
        """Reserve `count` consecutive row numbers; returns the first. Gaps are harmless."""
        with self.lock:
            first = self._next_rowid[obj.name]
            self._next_rowid[obj.name] = first + count
            return first

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction, or a savepoint when one is already open (so calls nest)."""
        with self.lock:
            if self.conn.in_transaction:
                self._savepoints += 1
                name = f"sp{self._savepoints}"
                self.conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self.conn
                except BaseException:
                    self._meta.clear()
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                    raise
                else:
                    self.conn.execute(f"RELEASE {name}")
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                for hook in self.before_commit:
                    hook()
            except BaseException:
                self._meta.clear()
                self.conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    self._meta.clear()
                    raise
                for hook in self.after_commit:
                    hook()

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            if key in self._meta:
                return self._meta[key]
            row = self.conn.execute("SELECT value FROM _meta WHERE key = ?", (key,)).fetchone()
            value = None if row is None else str(row[0])
            self._meta[key] = value
            return value

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self._meta.pop(key, None)
            self.conn.execute(
                "INSERT INTO _meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def wipe(self) -> None:
        """Delete every record (the schema stays); used by the control plane's reset."""
        with self.transaction():
            for obj in self.schema.objects():
                self.conn.execute(f"DELETE FROM {quote(obj.name)}")
            self.conn.execute("DELETE FROM _recycle_bin")
            self.conn.execute("DELETE FROM _meta")
            self._meta.clear()
        self._next_rowid = {obj.name: 1 for obj in self.schema.objects()}
