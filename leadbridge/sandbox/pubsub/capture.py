"""Change Data Capture: the selected entities, and their change events written at commit.

Every save path ends in SQL against the entity's table; the triggers (triggers.py) note what
was touched, and just before the transaction commits `_flush` turns the notes into events in
the same transaction: one event per record, CREATE / UPDATE / DELETE / UNDELETE by comparing
the record's row before the transaction with its row now.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from leadbridge.sandbox.schema import ObjectDef, OrgSchema
from leadbridge.sandbox.storage import OrgDatabase, quote

from . import origin, triggers
from .layout import EventLayout
from .log import EventLog
from .schemas import SchemaRegistry
from .topics import capturable

_SELECTION_KEY = "cdc_entities"
_GAP_TYPES = frozenset({"CREATE", "UPDATE", "DELETE", "UNDELETE"})
Row = dict[str, Any]


class UnknownEntityError(ValueError):
    """The object does not exist or has no change events."""


@dataclass(frozen=True)
class Change:
    entity: str
    record_ids: list[str]
    change_type: str
    user: str
    body: dict[str, Any]
    changed: list[str]  # bitmaps
    nulled: list[str]


class ChangeCapture:
    def __init__(
        self, schema: OrgSchema, db: OrgDatabase, log: EventLog, schemas: SchemaRegistry
    ) -> None:
        self.schema = schema
        self.db = db
        self.log = log
        self.schemas = schemas
        self._written = False  # events appended in the open transaction
        with db.lock:
            triggers.create_touched(db.conn)
            self._selected = self._load_selection()
            for entity in self._selected:
                triggers.install(db.conn, entity)
        db.before_commit.append(self._flush)
        db.after_commit.append(self._after_commit)

    # ------------------------------------------------------------------ selection

    @property
    def selected(self) -> tuple[str, ...]:
        return self._selected

    def _load_selection(self) -> tuple[str, ...]:
        saved = self.db.get_meta(_SELECTION_KEY)
        names = json.loads(saved) if saved else []
        return tuple(name for name in names if self._entity(name, strict=False))

    def _entity(self, name: str, *, strict: bool = True) -> ObjectDef | None:
        obj = self.schema.object(name)
        if obj is None or not capturable(obj):
            if strict:
                raise UnknownEntityError(f"{name} has no change events")
            return None
        return obj

    def select(self, names: Iterable[str]) -> tuple[str, ...]:
        """Replace the selection (Setup > Change Data Capture)."""
        objects = [self._entity(name) for name in names]
        chosen = tuple(dict.fromkeys(obj.name for obj in objects if obj is not None))
        with self.db.transaction():
            for entity in set(self._selected) - set(chosen):
                triggers.remove(self.db.conn, entity)
            for entity in chosen:
                triggers.install(self.db.conn, entity)
            self.db.set_meta(_SELECTION_KEY, json.dumps(list(chosen)))
            self._selected = chosen
        return chosen

    def reset(self) -> None:
        """No entity selected and no events (the org's reset)."""
        with self.db.lock:
            for entity in self._selected:
                triggers.remove(self.db.conn, entity)
            self._selected = ()
            self.db.conn.execute(f"DELETE FROM {triggers.TOUCHED}")
        self.log.clear()

    # ------------------------------------------------------------------ commit hooks

    def _flush(self) -> None:
        if not self._selected:
            return
        conn = self.db.conn
        touched = conn.execute(
            f"SELECT entity, record_id, op FROM {triggers.TOUCHED} ORDER BY seq"
        ).fetchall()
        if not touched:
            return
        conn.execute(f"DELETE FROM {triggers.TOUCHED}")
        first: dict[tuple[str, str], str] = {}
        for entity, record_id, op in touched:
            first.setdefault((str(entity), str(record_id)), str(op))
        entities = {entity for entity, _ in first}
        now = {entity: self._rows(entity, quote(entity), first) for entity in entities}
        before = {
            entity: self._rows(entity, triggers.old_table(entity), first) for entity in entities
        }
        for entity in entities:
            conn.execute(f"DELETE FROM {triggers.old_table(entity)}")
        changes = []
        for (entity, record_id), op in first.items():
            layout = self.schemas.layout(entity)
            change = _change(
                layout, record_id, op, before[entity].get(record_id), now[entity].get(record_id)
            )
            if change is not None:
                changes.append(change)
        self.record(changes)

    def _rows(self, entity: str, table: str, first: dict[tuple[str, str], str]) -> dict[str, Row]:
        wanted = [record_id for name, record_id in first if name == entity]
        rows: dict[str, Row] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            cursor = self.db.conn.execute(
                f'SELECT * FROM {table} WHERE "Id" IN ({",".join("?" * len(chunk))})', chunk
            )
            names = [column[0] for column in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                rows[str(row["Id"])] = row
        return rows

    def record(self, changes: list[Change]) -> int | None:
        """Append one transaction's events (the caller's transaction); the last replay number."""
        if not changes:
            return None
        commit_ms = self.log.now_ms()
        number = self.log.last_assigned() + 1
        key = str(uuid.uuid4())
        change_origin = origin.current()
        rows = []
        for sequence, change in enumerate(changes, start=1):
            layout = self.schemas.layout(change.entity)
            header = {
                "entityName": change.entity,
                "recordIds": change.record_ids,
                "changeType": change.change_type,
                "changeOrigin": change_origin,
                "transactionKey": key,
                "sequenceNumber": sequence,
                "commitTimestamp": commit_ms,
                "commitNumber": number,
                "commitUser": change.user,
                "nulledFields": change.nulled,
                "diffFields": [],
                "changedFields": change.changed,
            }
            payload = layout.encode({"ChangeEventHeader": header, **change.body})
            rows.append((change.entity, commit_ms, layout.schema_id, payload))
        self._written = True
        return self.log.append(rows)

    def _after_commit(self) -> None:
        if self._written:
            self._written = False
            self.log.committed()

    # ------------------------------------------------------------------ injection

    def inject(self, entity: str, change_type: str, record_ids: list[str]) -> int:
        """A gap event (GAP_<type>, header only) or, for GAP_OVERFLOW, an overflow event."""
        obj = self._entity(entity)
        assert obj is not None
        if change_type != "GAP_OVERFLOW" and change_type.removeprefix("GAP_") not in _GAP_TYPES:
            raise ValueError(f"change_type must be one of {', '.join(sorted(_GAP_TYPES))}")
        if change_type != "GAP_OVERFLOW":
            change_type = "GAP_" + change_type.removeprefix("GAP_")
        user = self.db.get_meta("admin_user_id") or ""
        with self.db.transaction():
            last = self.record([Change(obj.name, record_ids, change_type, user, {}, [], [])])
        assert last is not None
        return last


def _change(
    layout: EventLayout, record_id: str, op: str, old: Row | None, new: Row | None
) -> Change | None:
    """The event for one record touched in a transaction, or None (no visible change)."""
    entity = layout.entity
    if new is None:  # gone from the table (a hard delete)
        if op == "I":
            return None
        user = str(old.get("LastModifiedById") or "") if old else ""
        return Change(entity, [record_id], "DELETE", user, {}, [], [])
    user = str(new.get("LastModifiedById") or new.get("CreatedById") or "")
    if op == "I" or old is None:
        if new.get("IsDeleted"):
            return None
        return _whole(layout, record_id, "CREATE", user, new)
    if not old.get("IsDeleted") and new.get("IsDeleted"):
        return Change(entity, [record_id], "DELETE", user, {}, [], [])
    if old.get("IsDeleted") and not new.get("IsDeleted"):
        return _whole(layout, record_id, "UNDELETE", user, new)
    if new.get("IsDeleted"):
        return None
    diff = [column for column in layout.columns if old.get(column) != new.get(column)]
    if not diff:
        return None
    if "LastModifiedDate" not in diff and "LastModifiedDate" in layout.columns:
        diff.append("LastModifiedDate")
    nulled = [column for column in diff if new.get(column) is None]
    return Change(
        entity,
        [record_id],
        "UPDATE",
        user,
        layout.body(new, diff),
        layout.bitmap(diff),
        layout.bitmap(nulled),
    )


def _whole(layout: EventLayout, record_id: str, change_type: str, user: str, row: Row) -> Change:
    present = [column for column in layout.columns if row.get(column) is not None]
    return Change(
        layout.entity,
        [record_id],
        change_type,
        user,
        layout.body(row, present),
        layout.bitmap(present),
        [],
    )
