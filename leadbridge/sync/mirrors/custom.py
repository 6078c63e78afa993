"""Choosing the custom objects to mirror, behind the edition gate."""

from __future__ import annotations

from leadbridge.errors import ConfigurationError, InputError, NotFoundError
from leadbridge.ports import Clock, CrmClient
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.mirrors_custom import CustomObjectRepository, CustomObjectType
from leadbridge.store.models import Edition

EDITION_MESSAGE = "Custom objects need the plus or advanced edition"


def check_edition(edition: Edition) -> None:
    if edition is Edition.STANDARD:
        raise ConfigurationError(f"{EDITION_MESSAGE}; this connector is on the standard edition")


def enable_custom_object(
    db: Database, crm: CrmClient, clock: Clock, api_name: str
) -> CustomObjectType:
    """Mirror `api_name` from now on (its records that look up to a lead, contact or account)."""
    name = api_name.strip()
    if not name.lower().endswith("__c"):
        raise InputError("a custom object's API name ends in __c", item=api_name)
    with db.session(readonly=True) as session:
        config = ConnectorRepository(session).get()
    if config is None:
        raise ConfigurationError("no connector: add one with `leadbridge connector add`")
    check_edition(config.edition)
    known = {n.lower(): n for n in crm.custom_objects()}
    if name.lower() not in known:
        raise NotFoundError(f"Salesforce has no custom object {name!r}")
    name = known[name.lower()]
    described = crm.describe([name])[name]
    fields = [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "reference_to": list(f.reference_to),
        }
        for f in described.fields.values()
    ]
    if not any(set(f["reference_to"]) & {"Lead", "Contact", "Account"} for f in fields):
        raise InputError(
            f"{name} has no lookup to a lead, contact or account, so none of its records "
            "can belong to a prospect",
            item=name,
        )
    with db.session() as session:
        return CustomObjectRepository(session).enable(name, described.label, fields, clock.now())
