"""Splitting long key lists so IN (…) queries stay within both databases' parameter limits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

# Far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
IN_CHUNK = 1000


def chunked(items: Iterable[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk
