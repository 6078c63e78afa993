"""Running SOQL against the org: paging with query locators, as the query resource does.

Pages are read by keyset, so page 500 of a million-row result costs about the same as page 1:
without ORDER BY, after the last row's internal row number; with ORDER BY, after the last row's
sort-key values, then its row number (every ordered statement ends its ORDER BY with the row
number, from page 1 on, so ties in the sort keys are never skipped or repeated across pages).
A locator for one of the cursor's last `MARKS_KEPT` page starts (a client retrying a page)
resumes by keyset too; only a locator asking for any other position pages with OFFSET (that
page only; the pages after it are keyset again).
If records change between pages, a keyset cursor resumes after the last row it returned, by
its values then: a record updated after it was returned whose new sort-key values come later
is returned again, one that moved from after the cursor to before it is not returned, and
rows added or removed earlier in the order do not shift the rest (OFFSET would skip or
repeat rows then). `totalSize` stays the count at the first page; the cursor is done when it
has returned that many rows or a page comes back empty.

Open cursors (query locators) are capped as Salesforce's SOAP and REST guides long documented
it: at most `MAX_CURSORS` (10) per user; opening an 11th releases that user's oldest, and a
queryMore on a released locator fails with `INVALID_QUERY_LOCATOR`. (Salesforce's limits cheat
sheet says the cap was lifted with API 56.0; the sandbox keeps the stricter rule by default,
and the control plane can lift it: `max_cursors_per_user` 0.) A cursor is open from the first
page that has more to read until its last page is read. `max_batch_size` (control plane) makes
pages smaller than asked, as Salesforce may, so tests can page through many pages cheaply.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from . import ids
from .clock import OrgClock
from .exceptions import SalesforceError
from .schema import OrgSchema
from .soql import CompiledQuery, OrderKey, compile_query, shape_record
from .storage import OrgDatabase

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
MAX_CURSORS = 10  # open query cursors per user
MAX_CURSORS_KEPT = 10_000  # all users together, whatever the cap: memory stays bounded
MARKS_KEPT = 20  # page starts a cursor remembers, so re-reading a recent page is keyset too
LOCATOR_PREFIX = "01g"


@dataclass
class Cursor:
    compiled: CompiledQuery
    total: int
    position: int
    last_rowid: int  # -1: unknown, page by OFFSET
    batch_size: int
    owner: str = ""  # the user whose cursor it is
    last_keys: tuple[Any, ...] = ()  # the last row's ORDER BY values (ordered statements)
    # position -> (last_rowid, last_keys) of the row before it, for the latest page starts
    marks: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)


@dataclass
class CursorStats:
    """What the control plane reports: cursors open now, the most ever open for one user at
    once, and how many were released because their user opened one too many."""

    open: int
    peak: int
    released: int


def batch_size_from_header(header: str | None) -> int:
    """`Sforce-Query-Options: batchSize=N`: 200..2000, a hint Salesforce may round."""
    if not header:
        return DEFAULT_BATCH_SIZE
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "batchsize":
            try:
                size = int(value.strip())
            except ValueError:
                break
            return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, size))
    return DEFAULT_BATCH_SIZE


class QueryEngine:
    def __init__(self, schema: OrgSchema, db: OrgDatabase, clock: OrgClock) -> None:
        self.schema = schema
        self.db = db
        self.clock = clock
        self._cursors: dict[str, Cursor] = {}  # in opening order
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()
        self.max_batch_size = DEFAULT_BATCH_SIZE
        self.max_cursors = MAX_CURSORS  # per user; 0: no cap
        self._peak = 0
        self._released = 0

    def compile(self, soql: str, *, include_deleted: bool) -> CompiledQuery:
        return compile_query(
            soql, self.schema, include_deleted=include_deleted, now=self.clock.now()
        )

    def query(
        self,
        soql: str,
        *,
        include_deleted: bool,
        batch_size: int,
        version: str,
        user_id: str = "",
    ) -> dict[str, Any]:
        compiled = self.compile(soql, include_deleted=include_deleted)
        with self.db.lock:
            total = self._count(compiled)
            if compiled.is_count:
                return {"totalSize": total, "done": True, "records": []}
            if compiled.is_aggregate:
                return self._aggregate(compiled, version)
            size = max(1, min(batch_size, self.max_batch_size))
            cursor = Cursor(compiled, total, 0, 0, size, user_id)
            return self._page(cursor, None, version)

    def query_more(self, locator: str, version: str) -> dict[str, Any]:
        locator_id, _, offset_text = locator.partition("-")
        with self._lock:
            cursor = self._cursors.get(locator_id)
        if cursor is None or not offset_text.isdigit():
            raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator", status=400)
        offset = int(offset_text)
        if offset != cursor.position:
            cursor.position = offset
            # a page read before (a retry): resume after its previous row; else OFFSET
            cursor.last_rowid, cursor.last_keys = cursor.marks.get(offset, (-1, ()))
        with self.db.lock:
            return self._page(cursor, locator_id, version)

    def _aggregate(self, compiled: CompiledQuery, version: str) -> dict[str, Any]:
        sql, params = compiled.sql()
        rows = self.db.conn.execute(sql, params).fetchall()
        records = [shape_record(compiled, row, version) for row in rows]
        return {"totalSize": len(records), "done": True, "records": records}

    def _count(self, compiled: CompiledQuery) -> int:
        sql, params = compiled.count_sql()
        row = self.db.conn.execute(sql, params).fetchone()
        return int(row[0])

    def _page(self, cursor: Cursor, locator_id: str | None, version: str) -> dict[str, Any]:
        compiled = cursor.compiled
        remaining = cursor.total - cursor.position
        size = min(cursor.batch_size, max(remaining, 0))
        rows = self._fetch(cursor, size) if size else []
        skip = 1 + len(compiled.order_keys)
        records = [shape_record(compiled, row[skip:], version) for row in rows]
        cursor.position += len(records)
        if rows:
            cursor.last_rowid = int(rows[-1][0])
            cursor.last_keys = tuple(rows[-1][1:skip])
            cursor.marks[cursor.position] = (cursor.last_rowid, cursor.last_keys)
            if len(cursor.marks) > MARKS_KEPT:
                del cursor.marks[next(iter(cursor.marks))]
        done = cursor.position >= cursor.total or not rows
        result: dict[str, Any] = {"totalSize": cursor.total, "done": done}
        if not done:
            locator_id = locator_id or self._register(cursor)
            result["nextRecordsUrl"] = (
                f"/services/data/v{version}/query/{locator_id}-{cursor.position}"
            )
        elif locator_id:
            with self._lock:
                self._cursors.pop(locator_id, None)
        result["records"] = records
        return result

    def _fetch(self, cursor: Cursor, size: int) -> list[tuple[Any, ...]]:
        compiled = cursor.compiled
        base = f'{compiled.base_alias}."_rowid"'
        keys = "".join(f"{key.sql}, " for key in compiled.order_keys)
        select = f"SELECT {base}, {keys}{compiled.select_sql} FROM {compiled.from_sql}"
        where = f"({compiled.where_sql})"
        params: tuple[Any, ...] = tuple(compiled.params)
        start = compiled.offset + cursor.position
        if cursor.last_rowid >= 0 and cursor.position > 0:
            after, after_params = _after(compiled.order_keys, cursor.last_keys, base)
            where += f" AND {after}"
            params += (*after_params, cursor.last_rowid)
            start = 0
        sql = f"{select} WHERE {where} ORDER BY {compiled.order_sql} LIMIT ? OFFSET ?"
        return self.db.conn.execute(sql, (*params, size, start)).fetchall()

    def _register(self, cursor: Cursor) -> str:
        """A locator for a cursor with more pages; the user's oldest cursor is released
        when they already have `max_cursors` open."""
        with self._lock:
            mine = [key for key, other in self._cursors.items() if other.owner == cursor.owner]
            if self.max_cursors and len(mine) >= self.max_cursors:
                self._cursors.pop(mine[0])
                self._released += 1
                mine = mine[1:]
            if len(self._cursors) >= MAX_CURSORS_KEPT:
                self._cursors.pop(next(iter(self._cursors)))
            locator_id = ids.make_id(LOCATOR_PREFIX, next(self._sequence))
            self._cursors[locator_id] = cursor
            self._peak = max(self._peak, len(mine) + 1)
            return locator_id

    def stats(self) -> CursorStats:
        with self._lock:
            return CursorStats(len(self._cursors), self._peak, self._released)

    def configure(
        self, *, max_batch_size: int | None = None, max_cursors_per_user: int | None = None
    ) -> None:
        if max_batch_size is not None:
            if max_batch_size < 1:
                raise ValueError("max_batch_size must be at least 1")
            self.max_batch_size = max_batch_size
        if max_cursors_per_user is not None:
            if max_cursors_per_user < 0:
                raise ValueError("max_cursors_per_user must be 0 (no cap) or more")
            self.max_cursors = max_cursors_per_user

    def forget_all(self) -> None:
        """Reset: no cursors, counters at zero, full-size pages."""
        with self._lock:
            self._cursors.clear()
            self._peak = 0
            self._released = 0
            self.max_batch_size = DEFAULT_BATCH_SIZE
            self.max_cursors = MAX_CURSORS


def _after(
    keys: tuple[OrderKey, ...], values: tuple[Any, ...], rowid: str
) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause for the rows strictly after the row with sort-key `values` (then row
    number: its parameter comes last, after the returned ones) in the order `keys` then
    `rowid` ascending, with each key's direction and NULLs placement as the compiler emits it.

    Built right to left: after(k_i..) = after_i(k_i) OR (k_i equal AND after(k_i+1..)). When
    the first key's value bounds the rest (NULLs on the other side), that bound is also ANDed
    on its own, so SQLite can range-scan an index on the first key.
    """
    clause = f"{rowid} > ?"
    params: tuple[Any, ...] = ()
    bound, bound_params = "", params
    for index in range(len(keys) - 1, -1, -1):
        key, value = keys[index], values[index]
        if value is None:
            later = f"{key.sql} IS NOT NULL" if key.nulls_first else "0"
            clause = f"({later} OR ({key.sql} IS NULL AND {clause}))"
            continue
        operator = "<" if key.descending else ">"
        later = f"{key.sql} {operator} ?"
        if not key.nulls_first:
            later = f"({later} OR {key.sql} IS NULL)"
        clause = f"({later} OR ({key.sql} = ? AND {clause}))"
        params = (value, value, *params)
        if index == 0 and key.nulls_first:
            bound, bound_params = f"{key.sql} {operator}= ? AND ", (value,)
    return f"({bound}{clause})", (*bound_params, *params)
