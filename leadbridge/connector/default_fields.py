"""Changing how a default prospect field syncs (job title, phone, …).

A default field's Salesforce counterparts are fixed (Pardot's mapping: job_title ↔ Title, …),
but which side wins is the administrator's choice: with "use leadbridge's value", a job title
edited in leadbridge is pushed and no longer reverted by the next pull. Two kinds of default
field keep their rule: the email (the prospect's identity, followed through the connector
setting `apply_crm_email_changes`) and leadbridge's own fields (score, grade, campaign), whose
value always comes from leadbridge."""

from __future__ import annotations

from leadbridge.domain.fields import (
    DEFAULT_FIELD_NAMES,
    IDENTITY_FIELD,
    LEADBRIDGE_OWNED,
    SyncBehaviour,
)
from leadbridge.errors import InputError, NotFoundError
from leadbridge.store.field_mappings import FieldMapping, FieldMappingRepository


def is_default_field(name: str) -> bool:
    return name in DEFAULT_FIELD_NAMES


def set_default_behaviour(
    mappings: FieldMappingRepository,
    name: str,
    crm_field: str | None,
    behaviour: SyncBehaviour | None,
) -> FieldMapping:
    """Give the default field `name` a new sync behaviour, keeping its Salesforce fields and
    blank rule. `crm_field`, when given, must be one of its Salesforce fields."""
    item = f"field {name}"
    if name == IDENTITY_FIELD:
        raise InputError(
            "the email is the prospect's identity: its sync behaviour is fixed. Whether an "
            "email changed in Salesforce changes the prospect's is the connector setting "
            "apply_crm_email_changes (leadbridge connector set apply_crm_email_changes true)",
            item=item,
        )
    if name in LEADBRIDGE_OWNED:
        raise InputError(
            f"{name} is leadbridge's own field: leadbridge's value always wins, so its sync "
            "behaviour cannot change",
            item=item,
        )
    existing = mappings.get(name)
    if existing is None or not (existing.lead_field or existing.contact_field):
        raise NotFoundError(
            f"the default field {name} is not mapped to Salesforce yet: run "
            "`leadbridge connector verify`"
        )
    if behaviour is None:
        raise InputError(
            "give --sync-behaviour (use_leadbridge, use_salesforce or most_recent)", item=item
        )
    if crm_field is not None and not _is_counterpart(existing, crm_field):
        where = " and ".join(
            f"{obj}.{api}"
            for obj, api in (("Lead", existing.lead_field), ("Contact", existing.contact_field))
            if api
        )
        raise InputError(
            f"{name} is a default field mapped to {where}; its Salesforce fields are fixed, "
            "only its sync behaviour changes (leave out the API name, or add a custom field "
            "to map another Salesforce field)",
            item=item,
        )
    return mappings.upsert(
        name,
        lead_field=existing.lead_field,
        contact_field=existing.contact_field,
        behaviour=behaviour,
        blank_overwrites=existing.blank_overwrites,
        is_default=existing.is_default,
    )


def _is_counterpart(mapping: FieldMapping, crm_field: str) -> bool:
    wanted = crm_field.strip().lower()
    return any(api and api.lower() == wanted for api in (mapping.lead_field, mapping.contact_field))
