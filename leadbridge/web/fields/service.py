"""The field mapping page's reads and writes, straight on the store (no Salesforce call):
changing a field's sync behaviour (default fields too) and adding a mapped custom field,
each change audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from leadbridge.domain.fields import (
    DEFAULT_FIELD_NAMES,
    DEFAULT_FIELDS,
    IDENTITY_FIELD,
    LEADBRIDGE_OWNED,
    FieldType,
    SyncBehaviour,
)
from leadbridge.errors import InputError, NotFoundError
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.custom_fields import OPTION_TYPES, CustomField, CustomFieldRepository
from leadbridge.store.database import Database
from leadbridge.store.field_mappings import FieldMapping, FieldMappingRepository
from leadbridge.store.settings_changes import SettingsChangeRepository
from leadbridge.web.fields.org_fields import OrgField, compatible_fields

AREA = "field_mapping"
BEHAVIOUR_LABELS = {
    SyncBehaviour.USE_LEADBRIDGE: "Use leadbridge's value",
    SyncBehaviour.USE_SALESFORCE: "Use Salesforce's value",
    SyncBehaviour.MOST_RECENT: "Use the most recent value",
}
TYPE_LABELS = {
    FieldType.TEXT: "Text",
    FieldType.NUMBER: "Number",
    FieldType.DATE: "Date",
    FieldType.CHECKBOX: "Checkbox",
    FieldType.DROPDOWN: "Dropdown",
    FieldType.MULTISELECT: "Multi-select",
}
_LABELS = {f.name: f.label for f in DEFAULT_FIELDS}
IDENTITY_RULE = (
    "the email is the prospect's identity, so its sync behaviour is fixed; whether an email "
    "changed in Salesforce changes the prospect's is the connector setting "
    "“Apply email changes made in Salesforce” (apply_crm_email_changes)"
)


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    default: bool
    owned: bool  # leadbridge owns the value: its behaviour is fixed
    mapping: FieldMapping
    identity: bool = False  # the email: its behaviour is fixed, see IDENTITY_RULE

    @property
    def fixed(self) -> bool:
        """Its sync behaviour cannot change here (shown read-only)."""
        return self.owned or self.identity


@dataclass(frozen=True)
class FieldsView:
    rows: list[Row]
    custom_unmapped: list[CustomField]
    schema_known: bool
    schema_at: datetime | None
    offered: list[OrgField] = field(default_factory=list)


def _org(session: Session, field_type: FieldType) -> tuple[list[OrgField], bool, datetime | None]:
    repo = ConnectorRepository(session)
    lead, contact = repo.schema("Lead"), repo.schema("Contact")
    taken = [
        name
        for m in FieldMappingRepository(session).list()
        for name in (m.lead_field, m.contact_field)
        if name
    ]
    at = repo.schemas().get("Lead")
    return compatible_fields(lead, contact, field_type, taken), lead is not None, at


def _label(name: str, customs: dict[str, CustomField]) -> str:
    return _LABELS.get(name) or (customs[name].label if name in customs else name)


def fields_view(database: Database, field_type: FieldType = FieldType.TEXT) -> FieldsView:
    with database.session(readonly=True) as session:
        customs = {f.name: f for f in CustomFieldRepository(session).list()}
        mappings = FieldMappingRepository(session).list()
        offered, known, at = _org(session, field_type)
    order = {f.name: i for i, f in enumerate(DEFAULT_FIELDS)}
    rows = [
        Row(
            m.field_name,
            _label(m.field_name, customs),
            m.field_name in DEFAULT_FIELD_NAMES,
            m.field_name in LEADBRIDGE_OWNED,
            m,
            m.field_name == IDENTITY_FIELD,
        )
        for m in mappings
    ]
    rows.sort(key=lambda r: (not r.default, order.get(r.name, 0), r.label.lower()))
    mapped = {m.field_name for m in mappings}
    unmapped = [f for name, f in customs.items() if name not in mapped]
    return FieldsView(rows, unmapped, known, at, offered)


def offered_fields(database: Database, field_type: FieldType) -> list[OrgField]:
    with database.session(readonly=True) as session:
        return _org(session, field_type)[0]


def set_behaviour(
    database: Database,
    *,
    name: str,
    behaviour: SyncBehaviour,
    blank_overwrites: bool,
    actor: str,
    now: datetime,
) -> list[str]:
    """Change one field's sync behaviour and blank rule; what changed, in words.

    The mapping is no longer marked as the default one, so `connector verify` keeps the
    administrator's choice."""
    with database.session() as session:
        mappings = FieldMappingRepository(session)
        current = mappings.get(name)
        if current is None:
            raise NotFoundError(f"the field {name!r} is not mapped")
        if name == IDENTITY_FIELD:
            raise InputError(IDENTITY_RULE, item="behaviour")
        if name in LEADBRIDGE_OWNED and behaviour is not current.behaviour:
            raise InputError(
                "this field is computed by leadbridge, so leadbridge's value always wins",
                item="behaviour",
            )
        changes = {
            "behaviour": (current.behaviour, behaviour),
            "blank_overwrites": (current.blank_overwrites, blank_overwrites),
        }
        changed = {k: v for k, v in changes.items() if v[0] != v[1]}
        if not changed:
            return []
        mappings.upsert(
            name,
            lead_field=current.lead_field,
            contact_field=current.contact_field,
            behaviour=behaviour,
            blank_overwrites=blank_overwrites,
            is_default=False,
        )
        audit = SettingsChangeRepository(session)
        for key, (old, new) in changed.items():
            audit.record(at=now, actor=actor, area=AREA, subject=name, field=key, old=old, new=new)
    return list(changed)


@dataclass(frozen=True)
class NewField:
    name: str
    label: str
    type: FieldType
    options: list[str]
    crm_field: str
    behaviour: SyncBehaviour


def add_custom_field(database: Database, new: NewField, *, actor: str, now: datetime) -> None:
    """Create the field and, when a Salesforce field is chosen, map it (all or nothing)."""
    if new.options and new.type not in OPTION_TYPES:
        raise InputError("only dropdown and multi-select fields take options", item="options")
    with database.session() as session:
        api_name: str | None = None
        if new.crm_field:
            offered, known, _ = _org(session, new.type)
            if not known:
                raise InputError(
                    "leadbridge does not know the org's fields yet: verify the connector first",
                    item="crm_field",
                )
            match = next((f for f in offered if f.api_name.lower() == new.crm_field.lower()), None)
            if match is None:
                raise InputError(
                    f"{new.crm_field} is not a field on both Lead and Contact that can hold "
                    f"{TYPE_LABELS[new.type].lower()} values (or it is mapped already)",
                    item="crm_field",
                )
            api_name = match.api_name
        CustomFieldRepository(session).add(new.name, new.label, new.type, new.options, api_name)
        audit = SettingsChangeRepository(session)
        audit.record(
            at=now,
            actor=actor,
            area=AREA,
            subject=new.name,
            field="added",
            old=None,
            new=f"{TYPE_LABELS[new.type]} field",
        )
        if api_name is not None:
            FieldMappingRepository(session).upsert(
                new.name, lead_field=api_name, contact_field=api_name, behaviour=new.behaviour
            )
            audit.record(
                at=now,
                actor=actor,
                area=AREA,
                subject=new.name,
                field="mapped to",
                old=None,
                new=f"Lead/Contact {api_name}, {BEHAVIOUR_LABELS[new.behaviour]}",
            )
