"""A lead converted to a contact: what the contact starts out agreeing with leadbridge.

Salesforce's conversion copies the lead's fields to the new contact (Title to Title, Phone to
Phone, mapped custom fields to theirs). The contact's values therefore start as the lead's,
and so does what leadbridge and Salesforce agreed on: carried over field by field, through
the prospect field both objects map. Without it the contact would start with no agreed
values, every field would look changed on both sides, and a leadbridge edit not yet pushed
when the lead was converted would lose to the contact's newer creation time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.push_record import FILLED, SEEN
from leadbridge.ports import CrmObject

_BY_NAME = (FILLED, SEEN)  # maps of API name → value inside a state, carried over the same way


def converted_state(
    lead_rules: Sequence[FieldRule],
    contact: CrmObject,
    contact_rules: Sequence[FieldRule],
    lead_state: Mapping[str, Any],
) -> dict[str, Any]:
    """The contact's starting sync state from the lead's (API names translated through the
    prospect fields both map, spelled as the contact's describe spells them; fields only one
    object maps are left out)."""
    contact_field = {
        rule.field: found.name
        for rule in contact_rules
        if "." not in rule.crm_field and (found := contact.field(rule.crm_field)) is not None
    }
    renamed = {
        rule.crm_field.lower(): contact_field[rule.field]
        for rule in lead_rules
        if rule.field in contact_field and "." not in rule.crm_field
    }

    def carried(values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            renamed[name.lower()]: value
            for name, value in values.items()
            if name.lower() in renamed
        }

    state = carried({k: v for k, v in lead_state.items() if not k.startswith("_")})
    for key in _BY_NAME:
        inner = lead_state.get(key)
        if isinstance(inner, Mapping) and (moved := carried(inner)):
            state[key] = moved
    return state
