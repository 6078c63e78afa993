"""Field values as Salesforce holds them, so that ours and theirs compare like for like.

Both sides go through `crm_value` before any comparison: a prospect's `12` and Salesforce's
`12.0` are the same score, `""` and `None` are both blank, a date is its ISO text. The sync
state remembers values in this form too, which is what makes `is_echo` a plain comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from leadbridge.ports import CrmField

TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "combobox",
        "encryptedstring",
        "id",
        "reference",
    }
)
NUMBER_TYPES = frozenset({"double", "int", "currency", "percent"})
MULTISELECT_SEPARATOR = ";"


def is_blank(value: Any) -> bool:
    """No value: None, empty or whitespace-only text, an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def crm_value(value: Any, field: CrmField | None) -> Any:
    """`value` in the form Salesforce stores for `field` (None when blank).

    Lenient on purpose: a value of the wrong type comes back unchanged, for the pre-flight
    checks to report; it never raises.
    """
    kind = field.type if field is not None else None
    if type(value) is str and kind in TEXT_TYPES:  # the common case, the same result
        return value if value.strip() else None
    if kind == "boolean":
        return _boolean(value)
    if is_blank(value):
        return None
    if kind in NUMBER_TYPES:
        return _number(value)
    if kind == "date":
        return _date(value)
    if kind == "datetime":
        return _datetime(value)
    if kind == "multipicklist" and field is not None:
        return multiselect_value(value, field.picklist_values)
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return _number(value) if kind is None else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def multiselect_value(value: Any, defined: Sequence[str]) -> Any:
    """A multi-select picklist value as Salesforce stores and returns it: each selected value
    once, in the picklist's definition order (`defined`, as describe lists it), joined by ';'.
    Blank items are dropped; nothing chosen is None. Text ("B;A") and sequences (("B", "A"))
    alike; any other value comes back unchanged, for the pre-flight checks to report.

    The result never depends on the order it is given in, so whatever order Salesforce returns
    a selection in, it compares equal to the same selection pushed in any other. That holds
    where Salesforce's order is not describe's too: values the picklist does not list (an
    inactive value, or one an unrestricted picklist took in) come last, sorted, and Salesforce
    returns values in the order they were created in Setup even after an admin reorders the
    list describe shows (knowledge article 000231088)."""
    if isinstance(value, str):
        items: Sequence[Any] = value.split(MULTISELECT_SEPARATOR)
    elif isinstance(value, list | tuple):
        items = value
    else:
        return value
    chosen: list[str] = []
    for item in items:
        text = str(item).strip()
        if text and text not in chosen:
            chosen.append(text)
    position = {name: index for index, name in enumerate(defined)}
    known = sorted((item for item in chosen if item in position), key=position.__getitem__)
    ordered = [*known, *sorted(item for item in chosen if item not in position)]
    return MULTISELECT_SEPARATOR.join(ordered) or None


def same_value(left: Any, right: Any) -> bool:
    """Equal once both are in `crm_value` form (1 == 1.0 and 2.50 == 2.5: numbers by value,
    never by their text; text is case-sensitive, as Salesforce's restricted picklists are)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        # Salesforce holds a double: Decimal("0.1") is the 0.1 it returns.
        return bool(_as_double(left) == _as_double(right))
    return bool(left == right)


def _as_double(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def is_echo(field: CrmField | None, crm_value_now: Any, remembered: Mapping[str, Any]) -> bool:
    """Whether Salesforce's value for `field` is the one both sides last agreed on.

    `remembered` is the sync state of one record (API name → value, `crm_value` form), as
    `leadbridge.store.sync_state` keeps it after every push and pull. A value leadbridge
    pushed comes back from Salesforce equal to what was remembered, so the pull must not take
    it for a Salesforce change (which would re-trigger rules and pushes: ping-pong). A field
    never synced has no memory, so nothing is an echo of it.
    """
    if field is None:
        return False
    key = _key(field.name, remembered)
    if key is None:
        return False
    return same_value(crm_value(crm_value_now, field), as_remembered(remembered[key], field))


def as_remembered(value: Any, field: CrmField) -> Any:
    """A value from the sync state in today's `crm_value` form. Values are remembered in that
    form, and `crm_value` leaves its own output unchanged; this only puts right a value an
    older leadbridge remembered differently (a multi-select in the order it was sent, where
    Salesforce returns the picklist's definition order). A remembered None stays None."""
    return value if value is None else crm_value(value, field)


def _key(name: str, remembered: Mapping[str, Any]) -> str | None:
    if name in remembered:
        return name
    lowered = name.lower()
    return next((key for key in remembered if key.lower() == lowered), None)


def _boolean(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "false", ""}:
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).date().isoformat() if value.tzinfo else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            return value
    return value


def _datetime(value: Any) -> Any:
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        parsed = parse_crm_datetime(value)
    if parsed is None:
        return value
    moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@lru_cache(maxsize=64)  # a pull parses each record's LastModifiedDate several times in a row
def parse_crm_datetime(text: str) -> datetime | None:
    """`2026-01-31T12:00:00.000+0000` (Salesforce's form, or any ISO 8601) as aware UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
