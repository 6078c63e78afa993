"""Described Salesforce objects as JSON, to keep the org's schema in the store."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from leadbridge.ports import CrmField, CrmObject


def object_to_json(obj: CrmObject) -> dict[str, Any]:
    return {
        "name": obj.name,
        "label": obj.label,
        "custom": obj.custom,
        "fields": [asdict(field) for field in obj.fields.values()],
    }


def object_from_json(data: dict[str, Any]) -> CrmObject:
    fields = {}
    for raw in data.get("fields", []):
        values = dict(raw)
        for key in ("picklist_values", "reference_to"):
            values[key] = tuple(values.get(key) or ())
        field = CrmField(**values)
        fields[field.name] = field
    return CrmObject(
        data["name"], data.get("label", data["name"]), bool(data.get("custom")), fields
    )
