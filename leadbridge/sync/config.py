"""The connector as the push sees it for one run: settings, the org's Lead and Contact
schemas, and the field rules per object, read from the store once per run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadbridge.connector.schema_codec import object_from_json
from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import LEADBRIDGE_OWNED, PROSPECT_KEY_FIELD, SyncBehaviour
from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.errors import ConfigurationError
from leadbridge.ports import CrmObject
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.field_mappings import FieldMappingRepository

KEY_FIELD = PROSPECT_KEY_FIELD
PERSON_OBJECTS = (CONTACT, LEAD)
# Read besides the mapped fields: identity, match order, owner, conversion.
_ALWAYS = ("Id", "Email", "LastModifiedDate", "OwnerId", KEY_FIELD)
_LEAD_ONLY = ("IsConverted", "ConvertedContactId")


@dataclass(frozen=True)
class PushConfig:
    paused: bool
    settings: ConnectorSettings
    objects: dict[str, CrmObject]  # "Lead" and "Contact"
    rules: dict[str, tuple[FieldRule, ...]]  # per object

    @property
    def key_field(self) -> str | None:
        """The upsert key on Lead, when the org has it as an external id."""
        found = self.objects[LEAD].field(KEY_FIELD)
        return found.name if found is not None and found.external_id else None

    def read_fields(self, object_name: str) -> list[str]:
        """What lookups and retrieves read: the mapped fields the org has, and the rest."""
        obj = self.objects[object_name]
        wanted = [*_ALWAYS, *(_LEAD_ONLY if object_name == LEAD else ())]
        wanted += [rule.crm_field for rule in self.rules[object_name]]
        names: dict[str, None] = {}
        for name in wanted:
            found = None if "." in name else obj.field(name)
            if found is not None:
                names[found.name] = None
        return list(names)


def load_config(session: Any) -> PushConfig:
    """The push's view of the connector; ConfigurationError when it is not set up."""
    connector = ConnectorRepository(session)
    config = connector.get()
    if config is None:
        raise ConfigurationError("no connector: add one with `leadbridge connector add`")
    objects = {}
    for name in PERSON_OBJECTS:
        stored = connector.schema(name)
        if stored is None:
            raise ConfigurationError(
                f"leadbridge does not know the org's {name} fields yet: run "
                "`leadbridge connector verify` first"
            )
        objects[name] = object_from_json(stored)
    mappings = FieldMappingRepository(session).list()
    rules = {
        name: tuple(
            FieldRule(
                field=mapping.field_name,
                crm_field=crm_field,
                behaviour=SyncBehaviour(mapping.behaviour),
                blank_overwrites=mapping.blank_overwrites,
                owned=mapping.field_name in LEADBRIDGE_OWNED,
            )
            for mapping in mappings
            if (crm_field := mapping.crm_field(name))
        )
        for name in PERSON_OBJECTS
    }
    return PushConfig(config.paused, connector.settings(), objects, rules)
