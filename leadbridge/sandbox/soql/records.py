"""Builds Salesforce query records (REST JSON) and Bulk API CSV rows from result rows.

A `RecordShape` (made by the compiler) says where each output value sits in a row of
`CompiledQuery.select_sql`, including hidden helper columns holding the Ids that the
`attributes.url` of the record and of each nested parent need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadbridge.sandbox.soql.compiler import CompiledQuery

_FLOAT_TYPES = frozenset({"double", "currency", "percent"})


@dataclass(frozen=True, slots=True)
class FieldSlot:
    key: str  # output key: the field name, the dotted path (CSV) or exprN (aggregates)
    index: int
    field_type: str


@dataclass(frozen=True, slots=True)
class ParentSlot:
    """A nested parent record; it is null when the joined parent's Id (`id_index`) is null."""

    key: str
    object_name: str
    id_index: int
    slots: tuple[Slot, ...]


Slot = FieldSlot | ParentSlot


@dataclass(frozen=True, slots=True)
class RecordShape:
    type_name: str
    id_index: int | None  # None for AggregateResult rows, which have no url
    slots: tuple[Slot, ...]
    flat: tuple[FieldSlot, ...]  # the visible columns in SELECT order, keyed by dotted path


def shape_record(compiled: CompiledQuery, row: Sequence[Any], version: str) -> dict[str, Any]:
    """The REST query record for `row`; `version` is like "59.0" or "v59.0"."""
    shape = compiled.shape
    base = f"/services/data/v{version.removeprefix('v')}/sobjects/"
    record: dict[str, Any] = {"attributes": _attributes(shape.type_name, shape.id_index, row, base)}
    _fill(record, shape.slots, row, base)
    return record


def shape_csv_row(compiled: CompiledQuery, row: Sequence[Any]) -> list[str]:
    """The Bulk API CSV cells for `row`, in the order of `compiled.columns`."""
    return [_csv_text(row[slot.index], slot.field_type) for slot in compiled.shape.flat]


def decode(value: Any, field_type: str) -> Any:
    """A stored value as the JSON value Salesforce returns for that field type."""
    if value is None:
        return None
    if field_type == "boolean":
        return bool(value)
    if field_type == "int":
        return int(value)
    if field_type in _FLOAT_TYPES:
        return float(value)
    return value


def _attributes(type_name: str, id_index: int | None, row: Sequence[Any], base: str) -> Any:
    attributes = {"type": type_name}
    if id_index is not None:
        attributes["url"] = f"{base}{type_name}/{row[id_index]}"
    return attributes


def _fill(target: dict[str, Any], slots: tuple[Slot, ...], row: Sequence[Any], base: str) -> None:
    for slot in slots:
        if isinstance(slot, FieldSlot):
            target[slot.key] = decode(row[slot.index], slot.field_type)
        elif row[slot.id_index] is None:
            target[slot.key] = None
        else:
            parent: dict[str, Any] = {
                "attributes": _attributes(slot.object_name, slot.id_index, row, base)
            }
            _fill(parent, slot.slots, row, base)
            target[slot.key] = parent


def _csv_text(value: Any, field_type: str) -> str:
    value = decode(value, field_type)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    return str(value)
