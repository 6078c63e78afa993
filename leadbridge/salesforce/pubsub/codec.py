"""Decoding change events: the Avro payload, the header's bitmaps, values as the REST API has them.

The Pub/Sub API delivers a change event as raw Avro, its schema fetched once by id
(`GetSchema`). Its header lists the changed and nulled fields as *bitmaps*: element 0 is a hex
number whose bit i stands for the i-th field of the event's record; a compound field (a name,
an address) adds an element `"<its index>-0x…"` whose bits stand for its own fields. Values
come in Avro's types: datetimes and dates as epoch milliseconds. The subscriber wants what a
SOQL query would have returned: component fields flattened to their own names (FirstName, not
Name.FirstName), datetimes and dates as Salesforce writes them in JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fastavro

from leadbridge.ports import CREATE, UNDELETE, ChangeEvent, CrmObject

HEADER = "ChangeEventHeader"
_DATETIME = "datetime"
_DATE = "date"


@dataclass(frozen=True)
class _Field:
    name: str
    nested: tuple[str, ...] = ()  # a compound field's own fields, in schema order


class EventSchema:
    """One Avro schema of change events, parsed once; decodes payloads written with it."""

    def __init__(self, schema_json: str) -> None:
        raw = json.loads(schema_json)
        self.parsed = fastavro.parse_schema(raw)
        named: dict[str, Mapping[str, Any]] = {}  # Avro defines a named type once
        self.fields = tuple(_field(entry, named) for entry in raw["fields"])

    def decode(self, payload: bytes) -> dict[str, Any]:
        return dict(fastavro.schemaless_reader(io.BytesIO(payload), self.parsed))  # type: ignore[arg-type]

    def field_names(self, bitmap: Sequence[str]) -> list[str]:
        """The API names a bitmap field list stands for. A compound field (a name, an
        address) is listed by its parts: those its own element names, or all of them when
        only its top-level bit is set (every part nulled at once)."""
        top: list[int] = []
        parts: dict[int, list[str]] = {}
        for element in bitmap:
            parent, _, bits = element.rpartition("-")
            if not parent:
                top.extend(_bits(bits, len(self.fields)))
                continue
            compound = self.fields[int(parent)]
            parts[int(parent)] = [compound.nested[i] for i in _bits(bits, len(compound.nested))]
        names: list[str] = []
        for index in dict.fromkeys([*top, *parts]):
            field = self.fields[index]
            names.extend(parts.get(index, field.nested) if field.nested else [field.name])
        return names


def to_event(schema: EventSchema, payload: bytes, objects: Mapping[str, CrmObject]) -> ChangeEvent:
    """The decoded event, its values those the header says the event carries."""
    record = schema.decode(payload)
    header = record[HEADER]
    object_name = str(header["entityName"])
    change_type = str(header["changeType"])
    flat = _flatten(schema, record)
    described = objects.get(object_name)
    if change_type in (CREATE, UNDELETE):
        names = [name for name, value in flat.items() if value is not None]
    else:
        names = schema.field_names(header.get("changedFields") or [])
    nulled = set(schema.field_names(header.get("nulledFields") or []))
    values = {
        name: None if name in nulled else _rest_value(flat.get(name), described, name)
        for name in names
        if name != HEADER
    }
    return ChangeEvent(
        object_name=object_name,
        change_type=change_type,
        record_ids=tuple(str(record_id) for record_id in header.get("recordIds") or ()),
        values=values,
        committed_at=datetime.fromtimestamp(int(header["commitTimestamp"]) / 1000, UTC),
        commit_user=str(header.get("commitUser") or ""),
        transaction_key=str(header.get("transactionKey") or ""),
        sequence=int(header.get("sequenceNumber") or 0),
    )


def _field(entry: Mapping[str, Any], named: dict[str, Mapping[str, Any]]) -> _Field:
    """A top-level field; a compound one (a record, or a reference to one defined earlier)
    with its parts by API name: an address's parts carry its prefix (MailingAddress.City is
    MailingCity; Address.City on a lead is City), a name's do not."""
    kind = entry["type"]
    if entry["name"] == HEADER:
        return _Field(HEADER)
    for option in kind if isinstance(kind, list) else [kind]:
        record = option if isinstance(option, dict) else named.get(str(option))
        if isinstance(record, Mapping) and record.get("type") == "record":
            named.setdefault(str(record.get("name")), record)
            name = str(entry["name"])
            prefix = name[: -len("Address")] if name.endswith("Address") else ""
            parts = tuple(prefix + str(part["name"]) for part in record["fields"])
            return _Field(name, parts)
    return _Field(str(entry["name"]))


def _bits(hex_text: str, size: int) -> list[int]:
    """The positions of the set bits of a `0x…` bitmap (bit 0 is the first field)."""
    number = int(hex_text, 16)
    return [i for i in range(min(number.bit_length(), size)) if number >> i & 1]


def _flatten(schema: EventSchema, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's values by API name, a compound field's parts in its place."""
    flat: dict[str, Any] = {}
    for field in schema.fields:
        value = record.get(field.name)
        if not field.nested:
            flat[field.name] = value
        elif isinstance(value, Mapping):
            flat.update(zip(field.nested, value.values(), strict=False))
    return flat


def _rest_value(value: Any, described: CrmObject | None, name: str) -> Any:
    """Epoch milliseconds as the REST API writes a datetime or a date; the rest unchanged."""
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return value
    target = described.field(name) if described is not None else None
    kind = target.type if target is not None else None
    if kind == _DATETIME:
        moment = datetime.fromtimestamp(value / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    if kind == _DATE:
        return datetime.fromtimestamp(value / 1000, UTC).date().isoformat()
    return value
