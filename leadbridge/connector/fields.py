"""Checking that a custom field can map to a Salesforce field of the same API name on Lead and
Contact (the rule Pardot applies), with the refusal reasons in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from leadbridge.domain.fields import COMPATIBLE_CRM_TYPES, UNMAPPABLE_CRM_TYPES, FieldType
from leadbridge.errors import ConflictError, InputError
from leadbridge.ports import CrmField, CrmObject

_API_NAME = "^[A-Za-z][A-Za-z0-9_]*$"


@dataclass(frozen=True)
class MappableField:
    api_name: str
    lead: CrmField
    contact: CrmField

    @property
    def picklist_values(self) -> tuple[str, ...]:
        """Values allowed on both objects, in Lead's order."""
        contact_values = set(self.contact.picklist_values)
        return tuple(value for value in self.lead.picklist_values if value in contact_values)


def check_mappable(
    field_name: str,
    field_type: FieldType,
    api_name: str,
    lead: CrmObject,
    contact: CrmObject,
    mapped_to: str | None,
) -> MappableField:
    """The Lead and Contact fields for `api_name`, or the reason the mapping is refused.

    `mapped_to` names the prospect field already mapped to `api_name`, if any.
    """
    item = f"mapping {field_name} → {api_name}"
    lead_field, contact_field = lead.field(api_name), contact.field(api_name)
    missing = [
        name for name, found in (("Lead", lead_field), ("Contact", contact_field)) if found is None
    ]
    if missing:
        raise InputError(
            f"Salesforce has no field {api_name} on {' or '.join(missing)} (or the connector "
            "user cannot see it). Create it with the same API name on both Lead and Contact, "
            "then run `leadbridge connector verify`.",
            item=item,
        )
    assert lead_field is not None
    assert contact_field is not None
    if mapped_to is not None and mapped_to != field_name:
        raise ConflictError(f"{item}: {api_name} is already mapped to the field {mapped_to}")
    for crm_field, object_name in ((lead_field, "Lead"), (contact_field, "Contact")):
        _check_type(item, field_type, crm_field, object_name)
    return MappableField(lead_field.name, lead_field, contact_field)


def _check_type(item: str, field_type: FieldType, crm_field: CrmField, object_name: str) -> None:
    if crm_field.type in UNMAPPABLE_CRM_TYPES:
        kind = "a lookup" if crm_field.type == "reference" else f"a {crm_field.type} field"
        raise InputError(
            f"{object_name}.{crm_field.name} is {kind}; it cannot be mapped", item=item
        )
    if crm_field.calculated or not crm_field.updateable:
        raise InputError(
            f"{object_name}.{crm_field.name} is read-only in Salesforce (formula or system "
            "field); leadbridge could never write it",
            item=item,
        )
    if crm_field.type not in COMPATIBLE_CRM_TYPES[field_type]:
        raise InputError(
            f"{object_name}.{crm_field.name} is a {crm_field.type} field, which cannot hold "
            f"{field_type.value} values",
            item=item,
        )
