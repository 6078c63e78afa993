"""Which of the org's fields a custom prospect field may map to, from the schema the last
verify stored (no Salesforce call): the same API name on Lead and Contact, writable, not an
external id, of a type that holds the prospect field's values, and not mapped already."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leadbridge.domain.fields import COMPATIBLE_CRM_TYPES, UNMAPPABLE_CRM_TYPES, FieldType


@dataclass(frozen=True)
class OrgField:
    api_name: str
    label: str
    type: str  # Salesforce's type on Lead (Contact's is compatible too)
    length: int  # the shorter of the two, for text; 0 when it has none

    @property
    def description(self) -> str:
        size = f", {self.length:,} characters" if self.length else ""
        return f"{self.label} ({self.api_name}): {self.type}{size}"


def _fields(described: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not described:
        return {}
    return {str(f["name"]).lower(): f for f in described.get("fields", []) if "name" in f}


def _writable(field: Mapping[str, Any], field_type: FieldType) -> bool:
    kind = str(field.get("type", ""))
    return (
        kind not in UNMAPPABLE_CRM_TYPES
        and kind in COMPATIBLE_CRM_TYPES[field_type]
        and not field.get("calculated")
        and not field.get("external_id")  # a key (leadbridge's own upsert key among them)
        and bool(field.get("updateable", True))
    )


def compatible_fields(
    lead: Mapping[str, Any] | None,
    contact: Mapping[str, Any] | None,
    field_type: FieldType,
    taken: Iterable[str] = (),
) -> list[OrgField]:
    """The fields on both objects a `field_type` value fits in, minus those `taken`."""
    taken_keys = {name.lower() for name in taken}
    on_contact = _fields(contact)
    found: list[OrgField] = []
    for key, field in _fields(lead).items():
        other = on_contact.get(key)
        if other is None or key in taken_keys:
            continue
        if not (_writable(field, field_type) and _writable(other, field_type)):
            continue
        lengths = [int(f.get("length") or 0) for f in (field, other)]
        length = min(n for n in lengths if n) if any(lengths) else 0
        label = str(field.get("label") or key)
        found.append(OrgField(str(field["name"]), label, str(field["type"]), length))
    return sorted(found, key=lambda f: f.label.lower())
