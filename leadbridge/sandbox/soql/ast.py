"""The typed syntax tree of a SOQL statement.

Every node keeps `pos`, the character offset in the statement, so later stages (name
resolution, type checks) can report errors in Salesforce's Row/Column form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

ComparisonOp = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE"]


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A field or a parent-relationship path such as `Owner.Email`, spelled as written."""

    parts: tuple[str, ...]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class CountOf:
    """`COUNT(field)` in the SELECT list (an aggregate query)."""

    path: FieldPath
    pos: int


SelectItem = FieldPath | CountOf


@dataclass(frozen=True, slots=True)
class StringLit:
    """A quoted string. `value` has the escapes applied (`\\%` and `\\_` stay as written, as
    they only mean something in LIKE); `like_pattern` is the SQLite LIKE pattern for the
    same text, with `\\` as the escape character."""

    value: str
    like_pattern: str
    pos: int


@dataclass(frozen=True, slots=True)
class NumberLit:
    value: int | float
    pos: int


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    pos: int


@dataclass(frozen=True, slots=True)
class NullLit:
    pos: int


@dataclass(frozen=True, slots=True)
class DateLit:
    value: date
    pos: int


@dataclass(frozen=True, slots=True)
class DateTimeLit:
    """A datetime literal, always timezone-aware."""

    value: datetime
    pos: int


@dataclass(frozen=True, slots=True)
class DateKeyword:
    """A relative date literal such as `TODAY` or `LAST_N_DAYS:30` (`n` is None without `:n`)."""

    name: str
    n: int | None
    pos: int


Value = StringLit | NumberLit | BoolLit | NullLit | DateLit | DateTimeLit | DateKeyword


@dataclass(frozen=True, slots=True)
class Comparison:
    path: FieldPath
    op: ComparisonOp
    value: Value


@dataclass(frozen=True, slots=True)
class InList:
    path: FieldPath
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class SemiJoin:
    """`field [NOT] IN (SELECT oneField FROM Object [WHERE ...])`."""

    path: FieldPath
    query: Query
    negated: bool


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Condition, ...]


Condition = Comparison | InList | SemiJoin | Not | And | Or


@dataclass(frozen=True, slots=True)
class OrderItem:
    path: FieldPath
    descending: bool
    nulls_first: bool | None  # None: Salesforce's default (first for ASC, last for DESC)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed statement. `fields` is empty when the SELECT list is `COUNT()`."""

    fields: tuple[SelectItem, ...]
    count_all: bool
    object_name: str
    object_pos: int
    alias: str | None
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    source: str
