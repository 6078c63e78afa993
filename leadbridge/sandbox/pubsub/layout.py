"""The Avro shape of one object's change events: fields in describe order, compounds nested.

`Name` (Salutation, FirstName, LastName) and addresses (`Address`, `MailingAddress`,
`BillingAddress`...) are nested records holding their component fields, which then do not
also appear at top level, as in Salesforce's change event schemas. Formula fields, `Id`,
`IsDeleted` and `SystemModstamp` are not in change events.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import io
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import fastavro

from leadbridge.sandbox.schema import FieldDef, ObjectDef

from . import bitmaps
from .topics import event_name

NAMESPACE = "com.sforce.eventbus"
CHANGE_TYPES = (
    "CREATE", "UPDATE", "DELETE", "UNDELETE",
    "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW",
)  # fmt: skip
_LEFT_OUT = frozenset({"id", "isdeleted", "systemmodstamp"})
_NAME_PARTS = ("Salutation", "FirstName", "LastName", "MiddleName", "Suffix")
_ADDRESS_PARTS = (
    "Street", "City", "State", "PostalCode", "Country", "StateCode", "CountryCode",
    "Latitude", "Longitude", "GeocodeAccuracy",
)  # fmt: skip
_ADDRESS_PREFIXES = ("", "Mailing", "Other", "Billing", "Shipping")
_BITMAP = {"type": "array", "items": "string"}

HEADER_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "ChangeEventHeader",
    "namespace": NAMESPACE,
    "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
        {
            "name": "changeType",
            "type": {"type": "enum", "name": "ChangeType", "symbols": list(CHANGE_TYPES)},
        },
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": _BITMAP},
        {"name": "diffFields", "type": _BITMAP},
        {"name": "changedFields", "type": _BITMAP},
    ],
}


# Stored datetimes are whole seconds and many records share one: cache the conversions.
@lru_cache(maxsize=4096)
def _epoch_ms_of_datetime(text: str) -> int:
    moment = datetime.fromisoformat(text[:19])
    return calendar.timegm(moment.timetuple()) * 1000


@lru_cache(maxsize=4096)
def _epoch_ms_of_date(text: str) -> int:
    return calendar.timegm(date.fromisoformat(text[:10]).timetuple()) * 1000


def _avro_type(field: FieldDef) -> tuple[str, Callable[[Any], Any]]:
    """The Avro type of a field and the conversion of its stored value to it."""
    if field.type == "boolean":
        return "boolean", bool
    if field.type == "int":
        return "int", int
    if field.type in {"double", "currency", "percent"}:
        return "double", float
    if field.type == "datetime":
        return "long", _epoch_ms_of_datetime
    if field.type == "date":
        return "long", _epoch_ms_of_date
    return "string", str


@dataclass(frozen=True)
class Slot:
    """One top-level field of the event: a plain field, or a compound of components."""

    name: str
    fields: tuple[FieldDef, ...]
    parts: tuple[str, ...] = ()  # nested record field names (compounds only)
    record: str | None = None  # nested record type name (compounds only)


def _compounds(obj: ObjectDef) -> dict[str, tuple[str, str, list[tuple[str, FieldDef]]]]:
    """Component column (lower case) → (compound name, record type, its components)."""
    found: dict[str, tuple[str, str, list[tuple[str, FieldDef]]]] = {}
    groups: list[tuple[str, str, list[tuple[str, FieldDef]]]] = []
    if obj.field("FirstName") and obj.field("LastName"):
        parts = [(part, obj.field(part)) for part in _NAME_PARTS]
        groups.append(("Name", "Name", [(p, f) for p, f in parts if f is not None]))
    for prefix in _ADDRESS_PREFIXES:
        if obj.field(prefix + "Street") is None and obj.field(prefix + "City") is None:
            continue
        parts = [(part, obj.field(prefix + part)) for part in _ADDRESS_PARTS]
        groups.append((prefix + "Address", "Address", [(p, f) for p, f in parts if f]))
    for group in groups:
        for _, component in group[2]:
            found[component.name.lower()] = group
    return found


def _slots(obj: ObjectDef) -> list[Slot]:
    compounds = _compounds(obj)
    slots: list[Slot] = []
    placed: set[str] = set()
    for field in obj.iter_fields():
        if field.name.lower() in _LEFT_OUT or field.formula:
            continue
        group = compounds.get(field.name.lower())
        if group is None:
            slots.append(Slot(field.name, (field,)))
        elif group[0] not in placed:
            placed.add(group[0])
            parts = tuple(part for part, _ in group[2])
            slots.append(Slot(group[0], tuple(f for _, f in group[2]), parts, group[1]))
    return slots


def _fingerprint(schema_json: str) -> str:
    digest = hashlib.sha256(schema_json.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


class EventLayout:
    """One object's change event schema, its id, and the encoding of events to it."""

    def __init__(self, obj: ObjectDef) -> None:
        self.entity = obj.name
        self.slots = _slots(obj)
        self._convert: dict[str, Callable[[Any], Any]] = {}
        # stored column name → (top-level Avro index, nested index or None)
        self._position: dict[str, tuple[int, int | None]] = {}
        avro_fields: list[dict[str, Any]] = [{"name": "ChangeEventHeader", "type": HEADER_SCHEMA}]
        defined: set[str] = set()
        for index, slot in enumerate(self.slots, start=1):
            for nested, field in enumerate(slot.fields):
                self._convert[field.name] = _avro_type(field)[1]
                self._position[field.name] = (index, nested if slot.record else None)
            avro_fields.append(
                {"name": slot.name, "type": ["null", self._slot_type(slot, defined)]}
            )
            avro_fields[-1]["default"] = None
        self.schema: dict[str, Any] = {
            "type": "record",
            "name": event_name(obj),
            "namespace": NAMESPACE,
            "fields": avro_fields,
        }
        self.schema_json = json.dumps(self.schema, separators=(",", ":"))
        self.schema_id = _fingerprint(self.schema_json)
        self._parsed = fastavro.parse_schema(self.schema)

    @staticmethod
    def _slot_type(slot: Slot, defined: set[str]) -> Any:
        if slot.record is None:
            return _avro_type(slot.fields[0])[0]
        if slot.record in defined:  # Avro: a named type is defined once, then referred to
            return slot.record
        defined.add(slot.record)
        return {
            "type": "record",
            "name": slot.record,
            "fields": [
                {"name": part, "type": ["null", _avro_type(field)[0]], "default": None}
                for part, field in zip(slot.parts, slot.fields, strict=True)
            ],
        }

    @property
    def columns(self) -> Collection[str]:
        """The stored columns an event carries."""
        return self._position.keys()

    def body(self, row: Mapping[str, Any], columns: Collection[str]) -> dict[str, Any]:
        """Event field values for these columns of the row (others stay null)."""
        values: dict[str, Any] = {}
        for column in columns:
            position = self._position.get(column)
            if position is None:
                continue
            value = row.get(column)
            converted = None if value is None else self._convert[column](value)
            index, nested = position
            slot = self.slots[index - 1]
            if nested is None:
                values[slot.name] = converted
            else:
                record = values.get(slot.name) or dict.fromkeys(slot.parts)
                record[slot.parts[nested]] = converted
                values[slot.name] = record
        return values

    def bitmap(self, columns: Collection[str]) -> list[str]:
        top: set[int] = set()
        nested: dict[int, set[int]] = {}
        for column in columns:
            position = self._position.get(column)
            if position is None:
                continue
            index, inner = position
            if inner is None:
                top.add(index)
            else:
                nested.setdefault(index, set()).add(inner)
        return bitmaps.encode(top, nested)

    def encode(self, record: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, self._parsed, record)
        return buffer.getvalue()
