"""Loading many prospects fast: plain DBAPI executemany in chunks, no ORM objects.

Every row is checked exactly as `ProspectRepository.add` checks it. Each chunk is inserted
under a savepoint: when the live-email unique index refuses a row, the chunk is undone and
ConflictError names the emails already taken. The whole load is one transaction: the
caller's session commits or rolls back all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.errors import ConflictError, InputError
from leadbridge.store.chunks import chunked
from leadbridge.store.models import LIVE, ProspectRow, ProspectValueRow
from leadbridge.store.prospect_fields import FieldCatalog, campaign_id
from leadbridge.store.prospect_writes import VALUE_KEY_LENGTH
from leadbridge.store.values import to_text

BULK_CHUNK = 5000
PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]
VALUES: Table = ProspectValueRow.__table__  # type: ignore[assignment]


def bulk_insert(
    session: Session, rows: Iterable[Mapping[str, Any]], *, origin: Origin, now: datetime
) -> int:
    """Insert prospects from `rows` (field name → value); the number inserted."""
    return _Loader(session, Origin(origin), now).load(rows)


class _Loader:
    def __init__(self, session: Session, origin: Origin, now: datetime) -> None:
        self.session = session
        self.origin = origin
        self.catalog = FieldCatalog.load(session)
        self.campaigns: dict[str, int | None] = {}
        self.template = _template(session.connection(), now)

    def load(self, rows: Iterable[Mapping[str, Any]]) -> int:
        total = 0
        for chunk in chunked(rows, BULK_CHUNK):
            records, custom = self._prepare(chunk, first_line=total + 1)
            try:
                with self.session.begin_nested():
                    _execute_many(self.session.connection(), PROSPECTS, records)
            except IntegrityError:
                self._raise_taken([record["email_key"] for record in records])
                raise
            if any(custom):
                self._insert_custom(records, custom)
            total += len(records)
        return total

    def _prepare(
        self, chunk: Iterable[Mapping[str, Any]], *, first_line: int
    ) -> tuple[list[dict[str, Any]], list[dict[int, str]]]:
        records: list[dict[str, Any]] = []
        custom: list[dict[int, str]] = []
        seen: set[str] = set()
        for line, values in enumerate(chunk, start=first_line):
            record, by_field = self._record(values, line)
            if record["email_key"] in seen:
                raise ConflictError(f"row {line}: {record['email']} appears twice in this load")
            seen.add(record["email_key"])
            records.append(record)
            custom.append(by_field)
        return records, custom

    def _record(
        self, values: Mapping[str, Any], line: int
    ) -> tuple[dict[str, Any], dict[int, str]]:
        try:
            checked = self.catalog.check(values, origin=self.origin)
        except InputError as error:
            raise InputError(str(error), item=f"row {line}") from None
        if "email" not in checked:
            raise InputError("an email address is required", item=f"row {line}")
        record = self.template.copy()
        by_field: dict[int, str] = {}
        for name, value in checked.items():
            if name in self.catalog.custom_ids:
                text = to_text(value)
                if text is not None:
                    by_field[self.catalog.custom_ids[name]] = text
            elif name == "marketing_campaign":
                record["marketing_campaign_id"] = self._campaign(value)
            else:
                record[name] = value
        record["email_key"] = email_key(record["email"])
        return record, by_field

    def _campaign(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self.campaigns:
            self.campaigns[name] = campaign_id(self.session, name)
        return self.campaigns[name]

    def _raise_taken(self, keys: list[str]) -> None:
        for chunk in chunked(keys):
            query = select(ProspectRow.email).where(ProspectRow.email_key.in_(chunk), LIVE)
            taken = list(self.session.scalars(query.limit(5)))
            if taken:
                raise ConflictError(f"live prospects already have: {', '.join(taken)}")

    def _insert_custom(self, records: list[dict[str, Any]], custom: list[dict[int, str]]) -> None:
        keys = [record["email_key"] for record, by_field in zip(records, custom) if by_field]
        ids: dict[str, int] = {}
        for chunk in chunked(keys):
            query = select(ProspectRow.email_key, ProspectRow.id).where(
                ProspectRow.email_key.in_(chunk), LIVE
            )
            ids.update(self.session.execute(query).tuples())
        values = [
            {
                "prospect_id": ids[record["email_key"]],
                "field_id": field_id,
                "value": text,
                "value_key": text[:VALUE_KEY_LENGTH],
            }
            for record, by_field in zip(records, custom)
            for field_id, text in by_field.items()
        ]
        _execute_many(self.session.connection(), VALUES, values)


def _template(connection: Connection, now: datetime) -> dict[str, Any]:
    """A row of column defaults, with the timestamps already in the driver's form (rows
    go to the driver as they are, skipping SQLAlchemy's per-value processing)."""
    template: dict[str, Any] = {}
    for column in PROSPECTS.columns:
        default = column.default
        template[column.name] = default.arg if default is not None and default.is_scalar else None
    del template["id"]
    to_driver = PROSPECTS.c.created_at.type.bind_processor(connection.dialect)
    stamp = now if to_driver is None else to_driver(now)
    template.update(created_at=stamp, updated_at=stamp)
    return template


def _execute_many(connection: Connection, table: Table, records: list[dict[str, Any]]) -> None:
    """One executemany of plain values: text, numbers, booleans and None pass through
    every driver unchanged, so SQLAlchemy's per-value processing is not needed."""
    if not records:
        return
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(records[0]))
    if compiled.positional:
        order = compiled.positiontup or []
        connection.exec_driver_sql(
            compiled.string, [tuple(record[key] for key in order) for record in records]
        )
    else:
        connection.exec_driver_sql(compiled.string, records)
