"""Field values: checking and converting what a client sends into what storage holds, and back.

Salesforce checks types while deserialising JSON (`JSON_PARSER_ERROR`) and field rules while
saving (`STRING_TOO_LONG`, `INVALID_EMAIL_ADDRESS`, restricted picklists, malformed IDs).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from . import ids
from .clock import format_datetime, parse_datetime
from .exceptions import SalesforceError
from .schema import NUMBER_TYPES, FieldDef

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
StoredValue = str | int | float | None


def _json_error(field: FieldDef, value: Any, expected: str) -> SalesforceError:
    token = "VALUE_STRING" if isinstance(value, str) else type(value).__name__.upper()
    return SalesforceError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {expected} from {token} value {value} or request may "
        f"be missing a required field",
        fields=[field.name],
    )


def to_storage(field: FieldDef, value: Any) -> StoredValue:
    """Check one value sent for `field` and return its stored form."""
    if value is None or (value == "" and not field.is_text):
        return 0 if field.type == "boolean" else None
    if field.is_text:
        return _text(field, value)
    if field.type == "boolean":
        return _boolean(field, value)
    if field.type == "int":
        return _integer(field, value)
    if field.type in NUMBER_TYPES:
        return _number(field, value)
    if field.type == "date":
        return _date(field, value)
    if field.type == "datetime":
        return _datetime(field, value)
    return str(value)


def _text(field: FieldDef, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _json_error(field, value, "string")
    text = str(value)
    if text == "":
        return None
    if field.type in {"id", "reference"}:
        return _reference(field, text)
    if field.type == "multipicklist":
        text = multiselect(field, text)
        if not text:
            return None
    if field.length and len(text) > field.length:
        raise SalesforceError(
            "STRING_TOO_LONG",
            f"{field.label}: data value too large: {text[:80]} (max length={field.length})",
            fields=[field.name],
        )
    if field.type == "email" and not _EMAIL.match(text):
        raise SalesforceError(
            "INVALID_EMAIL_ADDRESS",
            f"{field.label}: invalid email address: {text}",
            fields=[field.name],
        )
    if field.type == "picklist" and field.restricted_picklist:
        _check_picklist(field, text)
    return text


def multiselect(field: FieldDef, text: str) -> str:
    """A multi-select picklist value as Salesforce stores it: each selected value once, in the
    picklist's definition order, joined by ';' (blank items dropped). Values the picklist does
    not define (accepted only when it is unrestricted) follow, in the order first sent."""
    chosen: list[str] = []
    for part in text.split(";"):
        item = part.strip()
        if item and item not in chosen:
            chosen.append(item)
    if field.restricted_picklist:
        for item in chosen:
            _check_picklist(field, item)
    position = {value: index for index, value in enumerate(field.picklist_values)}
    known = sorted((item for item in chosen if item in position), key=position.__getitem__)
    return ";".join([*known, *(item for item in chosen if item not in position)])


def _check_picklist(field: FieldDef, text: str) -> None:
    if text not in field.picklist_values:
        raise SalesforceError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{field.label}: bad value for restricted picklist field: {text}",
            fields=[field.name],
        )


def _reference(field: FieldDef, text: str) -> str:
    try:
        return ids.to18(text)
    except ValueError:
        target = field.reference_to[0] if field.reference_to else field.label
        raise SalesforceError(
            "MALFORMED_ID",
            f"{target} ID: id value of incorrect type: {text}",
            fields=[field.name],
        ) from None


def _boolean(field: FieldDef, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return int(value.lower() == "true")
    raise _json_error(field, value, "boolean")


def _integer(field: FieldDef, value: Any) -> int:
    number = _number(field, value)
    if number != int(number):
        raise _json_error(field, value, "int")
    return int(number)


def _number(field: FieldDef, value: Any) -> float:
    if isinstance(value, bool):
        raise _json_error(field, value, "double")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _json_error(field, value, "double") from None
    integer_digits = len(str(int(abs(number))))
    if field.precision and integer_digits > field.precision - field.scale:
        raise SalesforceError(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{field.label}: value outside of valid range on numeric field: {value}",
            fields=[field.name],
        )
    return number


def _date(field: FieldDef, value: Any) -> str:
    if not isinstance(value, str):
        raise _json_error(field, value, "date")
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise _json_error(field, value, "date") from None


def _datetime(field: FieldDef, value: Any) -> str:
    if not isinstance(value, str):
        raise _json_error(field, value, "datetime")
    try:
        return format_datetime(parse_datetime(value))
    except ValueError:
        raise _json_error(field, value, "datetime") from None


def from_storage(field: FieldDef, value: StoredValue) -> Any:
    """The JSON value of a stored column."""
    if value is None:
        return False if field.type == "boolean" else None
    if field.type == "boolean":
        return bool(value)
    if field.type == "int":
        return int(value)
    if field.type in NUMBER_TYPES:
        return float(value)
    return value


def from_csv(field: FieldDef, text: str) -> Any:
    """A Bulk API CSV cell as the JSON value it stands for (`#N/A` clears the field)."""
    if text == "#N/A" or text == "":
        return None
    if field.type == "boolean":
        return text.strip().lower() in {"true", "1", "yes"}
    return text
