"""Splitting long key lists so IN (…) queries stay within both databases' parameter limits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import Session

T = TypeVar("T")

# Far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
IN_CHUNK = 1000


def chunked(items: Iterable[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (values)` for a chunk of keys. On PostgreSQL `column = ANY(:values)`: one
    array parameter instead of one per value, so the statement stays short and its compiled
    and converted forms are reused (a 1,000-value IN list is rendered by SQLAlchemy and then
    re-parsed by psycopg on every execution, the largest part of a push wave's CPU)."""
    if session.get_bind().dialect.name == "postgresql":
        matches: ColumnElement[bool] = column == any_(
            bindparam(None, list(values), type_=ARRAY(column.type))
        )
        return matches
    return column.in_(values)  # type: ignore[no-any-return]
