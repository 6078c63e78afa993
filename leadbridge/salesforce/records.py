"""Pure conversions between Salesforce JSON and leadbridge's port types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from leadbridge.errors import CrmError
from leadbridge.ports import CrmField, CrmObject, CrmRecord, SaveResult

from .errors import Redactor, from_error_item, make_error, no_redaction

T = TypeVar("T")
_SCALARS = frozenset({str, int, float, bool})


def clean(value: Any) -> Any:
    """A record without Salesforce's `attributes`, at any depth; a child subquery result
    (`{"totalSize", "done", "records"}`) becomes the list of its records."""
    if value is None or type(value) in _SCALARS:  # most values: no ABC check
        return value
    if isinstance(value, Mapping):
        if "records" in value and "totalSize" in value:
            return [clean(item) for item in value["records"]]
        return {key: clean(item) for key, item in value.items() if key != "attributes"}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def clean_record(record: Mapping[str, Any]) -> CrmRecord:
    return dict(clean(record))


def json_value(value: Any) -> Any:
    """A field value as Salesforce's JSON wants it (dates ISO 8601, datetimes in UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("datetimes sent to Salesforce must be timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def sobject(object_name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A collection item: the record's values plus `attributes.type`."""
    values = {key: json_value(value) for key, value in record.items() if key != "attributes"}
    return {"attributes": {"type": object_name}, **values}


def save_results(
    items: Any, expected: int, *, created: bool | None, redact: Redactor = no_redaction
) -> list[SaveResult]:
    """Collection SaveResults in request order. `created` is what a success means when the
    item does not say (True for create, False for update)."""
    results: list[SaveResult] = []
    answers = list(items) if isinstance(items, list) else []
    for index in range(expected):
        if index >= len(answers) or not isinstance(answers[index], Mapping):
            error = make_error("NO_RESULT", "Salesforce returned no result for this record")
            results.append(SaveResult(id=None, success=False, errors=(error,)))
            continue
        item = answers[index]
        if item.get("success"):
            was_created = bool(item.get("created", created))
            results.append(SaveResult(id=item.get("id"), success=True, created=was_created))
        else:
            errors = tuple(
                from_error_item(error, redact=redact) for error in item.get("errors") or []
            ) or (make_error("UNKNOWN_ERROR", "the save failed without an error", redact=redact),)
            results.append(SaveResult(id=item.get("id"), success=False, errors=errors))
    return results


def failed(count: int, error: CrmError) -> list[SaveResult]:
    return [SaveResult(id=None, success=False, errors=(error,)) for _ in range(count)]


def parse_datetime(text: str) -> datetime:
    """`2013-05-07T22:07:19.000+0000` (or any ISO 8601 form) as an aware datetime."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def crm_field(described: Mapping[str, Any]) -> CrmField:
    picklist = described.get("picklistValues") or []
    return CrmField(
        name=str(described["name"]),
        label=str(described.get("label") or described["name"]),
        type=str(described.get("type") or "string"),
        length=int(described.get("length") or 0),
        nillable=bool(described.get("nillable", True)),
        createable=bool(described.get("createable", True)),
        updateable=bool(described.get("updateable", True)),
        unique=bool(described.get("unique", False)),
        external_id=bool(described.get("externalId", False)),
        calculated=bool(described.get("calculated", False)),
        restricted_picklist=bool(described.get("restrictedPicklist", False)),
        picklist_values=tuple(
            str(entry["value"]) for entry in picklist if entry.get("active", True)
        ),
        reference_to=tuple(str(name) for name in described.get("referenceTo") or []),
        relationship_name=described.get("relationshipName"),
        defaulted_on_create=bool(described.get("defaultedOnCreate", False)),
    )


def crm_object(described: Mapping[str, Any]) -> CrmObject:
    fields = [crm_field(item) for item in described.get("fields") or []]
    return CrmObject(
        name=str(described["name"]),
        label=str(described.get("label") or described["name"]),
        custom=bool(described.get("custom", False)),
        fields={item.name: item for item in fields},
    )


def custom_object_names(described_global: Mapping[str, Any]) -> list[str]:
    """Custom objects (`__c`) from describeGlobal; not custom metadata, events or settings."""
    return sorted(
        str(entry["name"])
        for entry in described_global.get("sobjects") or []
        if str(entry.get("name", "")).endswith("__c") and not entry.get("customSetting", False)
    )


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
