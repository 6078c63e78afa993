"""Type-checks a literal against the field it is compared with and converts it to storage form.

Storage form follows the table layout: booleans 0/1, dates `YYYY-MM-DD`, datetimes in the
fixed-width UTC form of `clock.format_datetime`, ids in their 18-character form. A date
keyword (TODAY, LAST_N_DAYS:n) compared with a datetime field becomes a range of instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from leadbridge.sandbox.clock import format_datetime
from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.ids import to18
from leadbridge.sandbox.soql import dates
from leadbridge.sandbox.soql.ast import (
    BoolLit,
    DateKeyword,
    DateLit,
    DateTimeLit,
    NullLit,
    NumberLit,
    StringLit,
    Value,
)
from leadbridge.sandbox.soql.errors import invalid_field_at, located, malformed_at
from leadbridge.sandbox.soql.scopes import Column

SqlParam = str | int | float | None

_ID_TYPES = frozenset({"id", "reference"})
_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
_TYPE_NAMES = {
    "int": "integer",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
    "time": "time",
}


@dataclass(frozen=True, slots=True)
class Scalar:
    """One value. `blank` marks '' on a text field, which Salesforce treats like null."""

    value: str | int | float
    blank: bool = False


@dataclass(frozen=True, slots=True)
class Range:
    """The half-open interval `[low, high)` a date literal covers, in the column's format."""

    low: str
    high: str


@dataclass(frozen=True, slots=True)
class Null:
    pass


Operand = Scalar | Range | Null


class Coercer:
    """Converts literals for one statement (`source` for error positions, `today` in UTC)."""

    def __init__(self, source: str, today: date) -> None:
        self.source = source
        self.today = today

    def operand(self, column: Column, value: Value) -> Operand:
        if isinstance(value, NullLit):
            return Null()
        field_type = column.field.type
        if column.field.is_text:
            return self._text(column, value)
        if field_type == "boolean" and isinstance(value, BoolLit):
            return Scalar(int(value.value))
        if field_type in _NUMBER_TYPES and isinstance(value, NumberLit):
            return Scalar(value.value)
        if field_type == "date":
            return self._date(column, value)
        if field_type == "datetime":
            return self._datetime(column, value)
        if field_type == "time" and isinstance(value, StringLit):
            return Scalar(value.value)
        raise self.type_error(column, value)

    def like_pattern(self, column: Column, value: Value) -> str:
        """The SQLite LIKE pattern for `column LIKE value` (text fields only)."""
        if not isinstance(value, StringLit) or not column.field.is_text:
            raise self.type_error(column, value)
        if column.field.type == "id":
            raise located(
                "INVALID_QUERY_FILTER_OPERATOR",
                self.source,
                value.pos,
                "invalid operator on id field",
            )
        return value.like_pattern

    def type_error(self, column: Column, value: Value) -> SalesforceError:
        name = column.field.name
        if column.field.is_text:
            message = (
                f"value of filter criterion for field '{name}' must be of type string and "
                "should be enclosed in quotes"
            )
        else:
            type_name = _TYPE_NAMES.get(column.field.type, column.field.type)
            message = (
                f"value of filter criterion for field '{name}' must be of type {type_name} and "
                "should not be enclosed in quotes"
            )
        return invalid_field_at(self.source, value.pos, message)

    def _text(self, column: Column, value: Value) -> Operand:
        if not isinstance(value, StringLit):
            raise self.type_error(column, value)
        text = value.value
        if text == "":
            return Scalar(text, blank=True)
        if column.field.type in _ID_TYPES:
            try:
                return Scalar(to18(text))
            except ValueError:
                raise located(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    self.source,
                    value.pos,
                    f"invalid ID field: {text}",
                ) from None
        return Scalar(text)

    def _date(self, column: Column, value: Value) -> Operand:
        if isinstance(value, DateLit):
            return Scalar(value.value.isoformat())
        if isinstance(value, DateKeyword):
            low, high = self._keyword_range(value)
            return Range(low.isoformat(), high.isoformat())
        raise self.type_error(column, value)

    def _datetime(self, column: Column, value: Value) -> Operand:
        if isinstance(value, DateTimeLit):
            return Scalar(format_datetime(value.value))
        if isinstance(value, DateKeyword):  # TODAY, LAST_N_DAYS:n… cover whole UTC days
            low, high = self._keyword_range(value)
            return Range(_midnight(low), _midnight(high))
        # A plain date against a datetime field is refused, as Salesforce does.
        raise self.type_error(column, value)

    def _keyword_range(self, value: DateKeyword) -> dates.DateRange:
        try:
            return dates.keyword_range(value.name, value.n, self.today)
        except (ValueError, OverflowError):  # beyond year 1 or 9999
            text = value.name if value.n is None else f"{value.name}:{value.n}"
            raise malformed_at(self.source, value.pos, f"unexpected token: '{text}'") from None


def _midnight(day: date) -> str:
    return format_datetime(datetime.combine(day, time(), UTC))
