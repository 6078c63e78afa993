"""Loading many prospects fast: plain DBAPI executemany in chunks, no ORM objects.

Every row is checked exactly as `ProspectRepository.add` checks it. Each chunk is inserted
under a savepoint: when the live-email unique index refuses a row, the chunk is undone and
ConflictError names the emails already taken. The whole load is one transaction: the
caller's session commits or rolls back all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.errors import ConflictError, InputError
from leadbridge.store.bulk_rows import insert_rows
from leadbridge.store.chunks import chunked
from leadbridge.store.models import LIVE, ProspectRow, ProspectValueRow
from leadbridge.store.prospect_fields import FieldCatalog, campaign_id
from leadbridge.store.prospect_writes import VALUE_KEY_LENGTH
from leadbridge.store.values import to_text

BULK_CHUNK = 5000
PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]
VALUES: Table = ProspectValueRow.__table__  # type: ignore[assignment]
VALUE_COLUMNS = ("prospect_id", "field_id", "value", "value_key")


def bulk_insert(
    session: Session,
    rows: Iterable[Mapping[str, Any]],
    *,
    origin: Origin,
    now: datetime,
    checked: bool = False,
    ids: dict[str, int] | None = None,
) -> int:
    """Insert prospects from `rows` (field name → value); the number inserted. `checked`:
    the rows are `FieldCatalog.check`'s output already (not checked again). `ids`: filled
    with email key → new id when the database hands them back with the insert (PostgreSQL)."""
    return _Loader(session, Origin(origin), now, checked=checked, ids=ids).load(rows)


class _Loader:
    def __init__(
        self,
        session: Session,
        origin: Origin,
        now: datetime,
        *,
        checked: bool = False,
        ids: dict[str, int] | None = None,
    ) -> None:
        self.session = session
        self.ids = ids
        self.checked = checked
        self.origin = origin
        self.catalog = FieldCatalog.load(session)
        self.campaigns: dict[str, int | None] = {}
        connection = session.connection()
        self.template = _template(connection, now)
        self.insert_prospects = _Insert(connection, PROSPECTS, list(self.template))
        self.insert_values = _Insert(connection, VALUES, list(VALUE_COLUMNS))

    def load(self, rows: Iterable[Mapping[str, Any]]) -> int:
        total = 0
        for chunk in chunked(rows, BULK_CHUNK):
            records, custom = self._prepare(chunk, first_line=total + 1)
            try:
                with self.session.begin_nested():
                    returned = self.insert_prospects.run(
                        self.session.connection(), records, returning=self.ids is not None
                    )
                    if self.ids is not None and returned is not None:
                        self.ids.update((key, prospect_id) for prospect_id, key in returned)
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
            checked = (
                dict(values) if self.checked else self.catalog.check(values, origin=self.origin)
            )
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
        keys = [
            record["email_key"]
            for record, by_field in zip(records, custom, strict=True)
            if by_field
        ]
        ids: dict[str, int] = {}
        for chunk in chunked(keys):
            query = select(ProspectRow.email_key, ProspectRow.id).where(
                ProspectRow.email_key.in_(chunk), LIVE
            )
            ids.update(self.session.execute(query).all())
        values = [
            {
                "prospect_id": ids[record["email_key"]],
                "field_id": field_id,
                "value": text,
                "value_key": text[:VALUE_KEY_LENGTH],
            }
            for record, by_field in zip(records, custom, strict=True)
            for field_id, text in by_field.items()
        ]
        self.insert_values.run(self.session.connection(), values)


def _template(connection: Connection, now: datetime) -> dict[str, Any]:
    """A row of column defaults, with the timestamps already in the driver's form."""
    template: dict[str, Any] = {}
    for column in PROSPECTS.columns:
        default = column.default
        scalar = default is not None and default.is_scalar
        template[column.name] = getattr(default, "arg", None) if scalar else None
    del template["id"]
    stamp = _to_driver(connection, PROSPECTS.c.created_at, now)
    template.update(created_at=stamp, updated_at=stamp)
    return template


def _to_driver(connection: Connection, column: Any, value: Any) -> Any:
    processor = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return value if processor is None else processor(value)


class _Insert:
    """An INSERT run as one plain DBAPI executemany per batch. Rows must hold values every
    driver takes as they are (text, numbers, booleans, None, pre-converted timestamps):
    SQLAlchemy's per-value processing is skipped, which is most of the cost at this size."""

    def __init__(self, connection: Connection, table: Table, keys: list[str]) -> None:
        self.table = table
        compiled = insert(table).compile(dialect=connection.dialect, column_keys=keys)
        self.sql = compiled.string
        order = compiled.positiontup if compiled.positional else None
        self.values = None if order is None else itemgetter(*order)

    def run(
        self, connection: Connection, records: list[dict[str, Any]], *, returning: bool = False
    ) -> list[tuple[Any, ...]] | None:
        """(id, email_key) of each row inserted when `returning` and the database gives them
        back with the insert; else None."""
        if not records:
            return None
        if connection.dialect.name == "postgresql":  # one statement (see bulk_rows)
            columns = ("id", "email_key") if returning else ()
            return insert_rows(connection, self.table, records, columns)
        if self.values is None:
            connection.exec_driver_sql(self.sql, records)
        else:
            connection.exec_driver_sql(self.sql, [self.values(record) for record in records])
        return None
