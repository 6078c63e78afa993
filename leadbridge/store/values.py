"""Prospect field values: what each field accepts, and how values become text.

Default fields are typed columns; custom fields are text in `prospect_values`, typed by their
definition. Both go through `coerce` on the way in, so the same input gives the same value
wherever it is stored. Blank (None, "" or whitespace) means "no value".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from leadbridge.domain.fields import DEFAULT_FIELDS, FieldType
from leadbridge.errors import InputError

# Default number fields kept as integers; other number fields are floats.
INTEGER_FIELDS = frozenset({"employees", "score"})
MAX_INTEGER = 2**31 - 1
MIN_INTEGER = -(2**31)
MAX_NUMBER_TEXT = 400  # far past any float; keeps int() off its 4,300-digit error
# Flags that are not prospect fields but may be changed like one (audited the same way).
FLAG_FIELDS = frozenset({"do_not_sync"})
MULTISELECT_SEPARATOR = ";"  # Salesforce's multi-select picklist separator
_TRUE = frozenset({"true", "yes", "y", "1", "on", "checked"})
_FALSE = frozenset({"false", "no", "n", "0", "off", "unchecked"})
_INTEGER = re.compile(r"^[+-]?\d+$")
MAX_TEXT = 1_000_000  # custom text fields have no length of their own


@dataclass(frozen=True)
class FieldSpec:
    """What one field (default or custom) accepts."""

    name: str
    type: FieldType
    max_length: int | None = None
    options: tuple[str, ...] = ()
    integer: bool = False


DEFAULT_SPECS: dict[str, FieldSpec] = {
    field.name: FieldSpec(
        field.name, field.type, field.max_length, integer=field.name in INTEGER_FIELDS
    )
    for field in DEFAULT_FIELDS
} | {"do_not_sync": FieldSpec("do_not_sync", FieldType.CHECKBOX)}


def coerce(spec: FieldSpec, raw: Any, *, check_options: bool = True) -> Any:
    """The value to store for `raw`, or InputError naming the field and what is wrong.

    `check_options` off lets dropdown values outside the defined options through (values
    Salesforce sends are the truth for its picklists).
    """
    if _is_blank(raw):
        return False if spec.type is FieldType.CHECKBOX else None
    try:
        return _COERCERS[spec.type](spec, raw, check_options)
    except (TypeError, ValueError) as error:
        raise InputError(str(error), item=spec.name) from None


def checker(spec: FieldSpec, *, check_options: bool = True) -> Callable[[Any], Any]:
    """`coerce` for one field as a function, with a fast path for text (bulk loads check
    millions of values)."""
    if spec.type is not FieldType.TEXT:
        return lambda raw: coerce(spec, raw, check_options=check_options)
    limit = spec.max_length or MAX_TEXT

    def check_text(raw: Any) -> Any:
        if raw.__class__ is str and len(raw) <= limit and "\x00" not in raw:
            return raw if raw and not raw.isspace() else None
        return coerce(spec, raw, check_options=check_options)

    return check_text


def _is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, list | tuple) and not raw


def _text(spec: FieldSpec, raw: Any, _check: bool) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"expected text, got {type(raw).__name__}")
    if spec.max_length is not None and len(raw) > spec.max_length:
        raise ValueError(f"longer than {spec.max_length} characters")
    if "\x00" in raw:  # PostgreSQL cannot store it; never meaningful in a field
        raise ValueError("contains a NUL character")
    return raw


def _number(spec: FieldSpec, raw: Any, _check: bool) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        raise TypeError(f"expected a number, got {type(raw).__name__}")
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if len(text) > MAX_NUMBER_TEXT:
            raise ValueError(f"{raw[:20]!r}… is too long to be a number")
        number: int | float = int(text) if _INTEGER.match(text) else _parse_float(raw, text)
    else:
        number = raw if isinstance(raw, int) else float(raw)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{raw!r} is not a finite number")
    if spec.integer:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(f"{raw!r} is not a whole number")
        if not MIN_INTEGER <= number <= MAX_INTEGER:  # the column is 32-bit on PostgreSQL
            raise ValueError(f"{raw!r} is out of range (at most {MAX_INTEGER:,})")
        return int(number)
    return number


def _parse_float(raw: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None


def _date(spec: FieldSpec, raw: Any, _check: bool) -> date:
    if isinstance(raw, datetime):
        raise TypeError("expected a date, got a datetime")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a date (use YYYY-MM-DD)") from None
    raise TypeError(f"expected a date, got {type(raw).__name__}")


def _checkbox(spec: FieldSpec, raw: Any, _check: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError(f"{raw!r} is not true or false")


def _dropdown(spec: FieldSpec, raw: Any, check: bool) -> str:
    value = _text(spec, raw, check)
    if check and spec.options and value not in spec.options:
        raise ValueError(f"{value!r} is not one of {', '.join(spec.options)}")
    return value


def _multiselect(spec: FieldSpec, raw: Any, check: bool) -> tuple[str, ...]:
    if isinstance(raw, str):
        items: Sequence[Any] = raw.split(MULTISELECT_SEPARATOR)
    elif isinstance(raw, list | tuple | set | frozenset):
        items = sorted(raw) if isinstance(raw, set | frozenset) else raw
    else:
        raise TypeError(f"expected a list of values, got {type(raw).__name__}")
    chosen: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"expected text values, got {type(item).__name__}")
        if not item.strip():
            continue
        value = _dropdown(spec, item.strip(), check)
        if MULTISELECT_SEPARATOR in value:
            raise ValueError(f"{value!r} contains {MULTISELECT_SEPARATOR!r}")
        if value not in chosen:
            chosen.append(value)
    return tuple(chosen)


_COERCERS = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.CHECKBOX: _checkbox,
    FieldType.DROPDOWN: _dropdown,
    FieldType.MULTISELECT: _multiselect,
}


def to_text(value: Any) -> str | None:
    """A stored value as text: for custom field storage and the audit log."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return MULTISELECT_SEPARATOR.join(value) or None
    return str(value)


def from_text(field_type: FieldType, text: str) -> Any:
    """A custom field's stored text back as its typed value."""
    if field_type is FieldType.NUMBER:
        return int(text) if _INTEGER.match(text) else float(text)
    if field_type is FieldType.DATE:
        return date.fromisoformat(text)
    if field_type is FieldType.CHECKBOX:
        return text == "true"
    if field_type is FieldType.MULTISELECT:
        return tuple(text.split(MULTISELECT_SEPARATOR))
    return text
