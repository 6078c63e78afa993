"""leadbridge's own Salesforce fields: which ones an org lacks, and what each absence costs.

A new org has none of them. leadbridge still syncs without them, with less: this module says
exactly what is lost, field by field, and where the fields come from (the Salesforce metadata
the repository ships in salesforce-metadata/, deployed with `sf project deploy start`).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadbridge.domain.fields import DEFAULT_MAPPINGS, LEADBRIDGE_OWNED, PROSPECT_KEY_FIELD
from leadbridge.ports import CrmObject

PERSON_OBJECTS = ("Lead", "Contact")
HOW_TO_ADD = (
    "To add leadbridge's fields, deploy the metadata in salesforce-metadata/ with the "
    "Salesforce CLI (`sf project deploy start --source-dir force-app -o ALIAS`), give the "
    "connector user edit access to them, then run `leadbridge connector verify` again "
    "(docs/org-setup.md)."
)

_KEY_COSTS = {
    "Lead": (
        "new leads are created without leadbridge's key, so a create retried after a crash "
        "is matched by email instead of the key: if the email changed meanwhile, a duplicate "
        "lead is possible"
    ),
    "Contact": (
        "contacts carry no leadbridge key, so when several contacts share a prospect's email "
        "leadbridge cannot tell which one is the prospect's and takes the most recently "
        "modified"
    ),
}
_NOT_EXTERNAL_ID = "the field exists but is not an External ID, so "


@dataclass(frozen=True)
class MissingField:
    """One of leadbridge's fields the org lacks on one object, and what its absence costs."""

    field: str
    object: str
    consequence: str

    def problem(self) -> str:
        return f"{self.object} has no field {self.field}: {self.consequence}."


def leadbridge_fields() -> tuple[tuple[str, str], ...]:
    """(object, API name) of every field leadbridge ships for the org, key field first."""
    owned = [m for m in DEFAULT_MAPPINGS if m.field in LEADBRIDGE_OWNED]
    pairs = [(name, PROSPECT_KEY_FIELD) for name in PERSON_OBJECTS]
    for mapping in owned:
        pairs += [("Lead", mapping.lead_field or ""), ("Contact", mapping.contact_field or "")]
    return tuple((name, api) for name, api in pairs if api)


def missing_fields(described: dict[str, CrmObject]) -> list[MissingField]:
    """leadbridge's fields absent from Lead and Contact (objects not described are skipped:
    they are reported as unreadable objects already)."""
    found: list[MissingField] = []
    for object_name, api_name in leadbridge_fields():
        obj = described.get(object_name)
        if obj is None:
            continue
        field = obj.field(api_name)
        if api_name == PROSPECT_KEY_FIELD:
            if field is None or not field.external_id:
                cost = _KEY_COSTS[object_name]
                if field is not None:
                    cost = _NOT_EXTERNAL_ID + cost
                found.append(MissingField(api_name, object_name, cost))
        elif field is None:
            found.append(MissingField(api_name, object_name, _owned_cost(object_name, api_name)))
    return found


def _owned_cost(object_name: str, api_name: str) -> str:
    prospect_field = next(
        m.field for m in DEFAULT_MAPPINGS if api_name in (m.lead_field, m.contact_field)
    )
    label = prospect_field.replace("marketing_", "").replace("_", " ")
    return (
        f"the prospect's {label} is not written to Salesforce "
        f"{object_name.lower()}s (leadbridge keeps it)"
    )
