"""Splitting long key lists so IN (…) queries stay within both databases' parameter limits.

On PostgreSQL a key list is sent as one array parameter (`column = ANY(%s)`) instead: one
bound value whatever the length, so the statement's text stays short (neither SQLAlchemy nor
psycopg renders and parses a thousand placeholders per query) and the chunks can be larger."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, Integer, Text, any_, bindparam
from sqlalchemy.orm import Session

T = TypeVar("T")

# Far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
IN_CHUNK = 1000
ARRAY_CHUNK = 10_000  # keys per `one_of` on PostgreSQL (a single parameter)


def chunked(items: Iterable[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def key_chunks(session: Session, items: Iterable[T]) -> Iterator[Sequence[T]]:
    """`chunked`, in chunks as large as `one_of` takes on the session's database."""
    return chunked(items, ARRAY_CHUNK if _postgresql(session) else IN_CHUNK)


def one_of(session: Session, column: Any, keys: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (keys)`; on PostgreSQL `column = ANY(:array)` (integers, or text)."""
    if not _postgresql(session):
        return column.in_(keys)  # type: ignore[no-any-return]
    item = Integer() if isinstance(column.type, Integer) else Text()
    return column == any_(bindparam(None, list(keys), type_=ARRAY(item)))  # type: ignore[no-any-return]


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
