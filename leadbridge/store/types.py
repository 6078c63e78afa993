"""Column types shared by the models: UTC datetimes, string enums and JSON on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator, TypeEngine


class Json(TypeDecorator[Any]):
    """JSON everywhere; JSONB on PostgreSQL so values compare and index there.

    A decorator rather than `JSON().with_variant(JSONB(), "postgresql")`: the variant needs
    SQLAlchemy's PostgreSQL dialect at import time, which every command on SQLite would then
    load for nothing (a good part of a simple command's start-up)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both databases.

    PostgreSQL keeps it as `timestamptz`. SQLite has no timezone support, so the value is
    stored as naive UTC and given its UTC tzinfo back when read. Naive datetimes are refused
    on the way in: a naive value would silently mean "local time" somewhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: leadbridge stores UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A StrEnum kept as its value in a VARCHAR (no native enum type to migrate)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 20) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_class(value)
