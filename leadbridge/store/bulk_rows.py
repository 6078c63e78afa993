"""Writing many rows with one statement per table on PostgreSQL.

psycopg runs an executemany as one statement per row (pipelined, but still parsed, bound and
executed row by row on both sides): for the thousands of rows of an import batch that is most
of the time it spends in the database. On PostgreSQL the rows are sent as one array per column
instead, `INSERT … SELECT FROM unnest(…)` and `UPDATE … FROM unnest(…)`: one statement, one
round trip, whatever the number of rows. SQLite, in process, keeps an executemany (a plain
DBAPI one, without SQLAlchemy's per-row bookkeeping).

Values go through the columns' bind processors (UTC datetimes, enums, booleans) as SQLAlchemy
would apply them. Text arrays are cast to `text[]`, never `varchar(n)[]`: an explicit cast
would cut an over-long value silently where the INSERT refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, insert, update
from sqlalchemy.types import String

KEY = "_id"  # `update_rows`: the key holding the row's id


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]] | None:
    """INSERT the rows in their order (every row with the same keys on PostgreSQL; rows that
    differ fall back to an executemany). With `returning` columns: their values for every row
    inserted, in no given order, when the one statement ran; None otherwise (read them
    back)."""
    if not rows:
        return []
    names = list(rows[0])
    if not _unnest_fits(connection, table, rows, names):
        statement = insert(table)
        if not _driver_many(connection, statement, table, names, rows):
            connection.execute(statement, list(rows))
        return None
    quote = connection.dialect.identifier_preparer.quote
    names = _not_all_null(table, rows, names)
    columns = [table.c[name] for name in names]
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"SELECT * FROM unnest({', '.join(_array(connection, column) for column in columns)})"
    )
    if not returning:
        connection.exec_driver_sql(sql, _arrays(connection, columns, rows))
        return None
    sql += f" RETURNING {', '.join(quote(name) for name in returning)}"
    result = connection.exec_driver_sql(sql, _arrays(connection, columns, rows))
    return [tuple(row) for row in result]


def insert_new_rows(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], unique: Sequence[str]
) -> int | None:
    """On PostgreSQL: INSERT the rows, skipping those whose `unique` columns are taken
    (ON CONFLICT DO NOTHING); how many were inserted. None elsewhere, or for rows that differ
    in their keys: nothing was done (the caller writes them its own way)."""
    if not rows:
        return 0
    names = list(rows[0])
    if not _unnest_fits(connection, table, rows, names):
        return None
    quote = connection.dialect.identifier_preparer.quote
    columns = [table.c[name] for name in names]
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"SELECT * FROM unnest({', '.join(_array(connection, column) for column in columns)}) "
        f"ON CONFLICT ({', '.join(quote(name) for name in unique)}) DO NOTHING RETURNING 1"
    )
    return len(connection.exec_driver_sql(sql, _arrays(connection, columns, rows)).all())


def update_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE rows by id: each mapping holds `_id` and the columns to set, one statement per
    set of columns (on PostgreSQL; an executemany elsewhere)."""
    by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(set(row) - {KEY})), []).append(row)
    for names, group in by_columns.items():
        ids = [row[KEY] for row in group]
        if connection.dialect.name == "postgresql" and len(set(ids)) == len(ids):
            _update_unnest(connection, table, names, group)
        else:
            statement = (
                update(table)
                .where(table.c.id == bindparam(KEY))
                .values({name: bindparam(name) for name in names})
            )
            keys = [KEY, *names]
            if not _driver_many(connection, statement, table, keys, group):
                connection.execute(statement, list(group))


def _update_unnest(
    connection: Connection, table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    quote = connection.dialect.identifier_preparer.quote
    columns = [table.c.id, *(table.c[name] for name in names)]
    aliases = ["_id", *(f"v{n}" for n in range(len(names)))]
    assignments = ", ".join(
        f"{quote(name)} = v.{alias}" for name, alias in zip(names, aliases[1:], strict=True)
    )
    sql = (
        f"UPDATE {quote(table.name)} SET {assignments} "
        f"FROM unnest({', '.join(_array(connection, column) for column in columns)}) "
        f"AS v({', '.join(aliases)}) WHERE {quote(table.name)}.id = v._id"
    )
    keyed = [{"id": row[KEY], **{name: row[name] for name in names}} for row in rows]
    connection.exec_driver_sql(sql, _arrays(connection, columns, keyed))


def _driver_many(
    connection: Connection,
    statement: Any,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> bool:
    """On SQLite: run `statement` as one plain DBAPI executemany, each value through its
    column's bind processor (what SQLAlchemy's executemany does, without its per-row
    bookkeeping, most of the cost at thousands of rows); False when the statement is not one
    this can run (other dialects, rows whose keys differ, column defaults to fill in)."""
    if connection.dialect.name != "sqlite":
        return False
    keys = set(names)
    if not all(len(row) == len(keys) and keys.issuperset(row) for row in rows):
        return False
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(names))
    order = compiled.positiontup
    if order is None or set(order) != keys or len(order) != len(keys):
        return False
    processors = [_processor(connection, table, name) for name in order]
    connection.exec_driver_sql(
        compiled.string,
        [
            tuple(
                row[name] if process is None else process(row[name])
                for name, process in zip(order, processors, strict=True)
            )
            for row in rows
        ],
    )
    return True


def _processor(connection: Connection, table: Table, name: str) -> Any:
    column = table.c[name if name != KEY else "id"]
    return _repeating(
        column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    )


_NOTHING = object()


def _repeating(process: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """`process` that hands back its last result for the same value again: a batch's rows
    repeat a value column after column (the one timestamp, origin or kind of the batch), and
    converting it (a UTC datetime to the driver's form) is a good part of the cost."""
    if process is None:
        return None
    last: list[Any] = [_NOTHING, None]

    def run(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return run


def _unnest_fits(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], names: list[str]
) -> bool:
    """On PostgreSQL, for rows with the same keys that leave no column default to fill in
    (SQLAlchemy's executemany applies those; the unnest statement would not)."""
    if connection.dialect.name != "postgresql":
        return False
    keys = set(names)
    if any(column.default is not None and column.name not in keys for column in table.columns):
        return False
    return all(len(row) == len(keys) and keys.issuperset(row) for row in rows)


def _not_all_null(table: Table, rows: Sequence[Mapping[str, Any]], names: list[str]) -> list[str]:
    """`names` without the columns that are NULL in every row and have no default: left out
    of the INSERT they are NULL all the same, and their arrays cost the driver (most of a
    prospect's columns are empty in an import)."""
    kept = [
        name
        for name in names
        if table.c[name].default is not None
        or table.c[name].server_default is not None
        or any(row[name] is not None for row in rows)
    ]
    return kept or names


def _array(connection: Connection, column: Column[Any]) -> str:
    """`%b::type[]` (the array sent in binary), text for any string type (see the module's
    docstring)."""
    if isinstance(column.type, String) or isinstance(
        getattr(column.type, "impl_instance", None), String
    ):
        return "%b::text[]"
    return f"%b::{column.type.compile(dialect=connection.dialect)}[]"


def _arrays(
    connection: Connection, columns: Sequence[Column[Any]], rows: Sequence[Mapping[str, Any]]
) -> tuple[list[Any], ...]:
    dialect = connection.dialect
    arrays: list[list[Any]] = []
    for column in columns:
        values = [row[column.name] for row in rows]
        processor = _repeating(column.type.dialect_impl(dialect).bind_processor(dialect))
        if processor is not None:
            values = [processor(value) for value in values]
        arrays.append(values)
    return tuple(arrays)
