"""The org's schema: objects, fields, validation rules and duplicate rules.

Loaded from YAML (see docs/sandbox.md, "Defining a schema"). The standard objects ship in
`standard_objects.yaml`; an org's own schema file adds custom objects, custom fields on
standard objects, validation rules and duplicate rules on top of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

TEXT_TYPES = frozenset(
    {
        "id",
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "reference",
        "combobox",
        "encryptedstring",
    }
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
ALL_TYPES = TEXT_TYPES | NUMBER_TYPES | {"boolean", "date", "datetime", "time"}
_FORMULA_FIELD = re.compile(r"\{(\w+)\}")
_STANDARD_FILE = Path(__file__).with_name("standard_objects.yaml")
DEFAULT_SCHEMA_FILE = Path(__file__).with_name("default_schema.yaml")
# A new org before anyone set it up for leadbridge: no leadbridge fields, no duplicate rules.
FRESH_ORG_SCHEMA_FILE = Path(__file__).with_name("fresh_org_schema.yaml")


class SchemaError(ValueError):
    """The schema file is not valid; the message names the object and field."""


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    unique: bool = False
    external_id: bool = False
    id_lookup: bool = False
    default: Any = None
    picklist_values: tuple[str, ...] = ()
    default_picklist_value: str | None = None
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    formula: str | None = None
    precision: int = 0
    scale: int = 0
    custom: bool = False
    indexed: bool = False

    @property
    def calculated(self) -> bool:
        return self.formula is not None

    @property
    def defaulted_on_create(self) -> bool:
        return self.default is not None or self.default_picklist_value is not None

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    def formula_inputs(self) -> list[str]:
        return _FORMULA_FIELD.findall(self.formula or "")


@dataclass(frozen=True)
class ValidationRule:
    """Fails a save when `condition` (a SOQL WHERE expression) is true for the saved record."""

    name: str
    condition: str
    message: str
    error_field: str | None = None
    active: bool = True


@dataclass(frozen=True)
class DuplicateRule:
    """Matches a saved record against existing ones on `match_fields` (case-insensitive)."""

    name: str
    match_fields: tuple[str, ...]
    action: str = "block"  # block | alert (alert saves when allowSave=true is sent)
    operations: tuple[str, ...] = ("create", "update")
    message: str = "Use one of these records?"
    active: bool = True


@dataclass
class ObjectDef:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    mergeable: bool = False
    fields: dict[str, FieldDef] = field(default_factory=dict)
    validation_rules: list[ValidationRule] = field(default_factory=list)
    duplicate_rules: list[DuplicateRule] = field(default_factory=list)
    child_relationships: list[tuple[str, str, str | None]] = field(default_factory=list)
    history_tracked: tuple[str, ...] = ()  # fields whose changes go to <Name>History

    def history_names(self) -> tuple[str, str]:
        """The object holding this object's field history and its parent reference
        (LeadHistory, LeadId)."""
        return f"{self.name}History", f"{self.name}Id"

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field behind a parent relationship name such as `Owner` or `Account__r`."""
        lowered = name.lower()
        for candidate in self.fields.values():
            if candidate.relationship_name and candidate.relationship_name.lower() == lowered:
                return candidate
        return None

    def iter_fields(self) -> Iterator[FieldDef]:
        return iter(self.fields.values())

    # The save rules' views of the fields, built on first use. The fields do not change once
    # the schema is built (build_schema), so each is computed once, not once per record saved.

    @cached_property
    def default_values(self) -> dict[str, Any]:
        """What a new record holds before the values sent: booleans, default values."""
        values: dict[str, Any] = {}
        for f in self.iter_fields():
            if f.type == "boolean":
                values[f.name] = int(bool(f.default))
            elif f.default_picklist_value is not None:
                values[f.name] = f.default_picklist_value
            elif f.default is not None:
                values[f.name] = f.default
        return values

    @cached_property
    def formula_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.iter_fields() if f.formula)

    @cached_property
    def reference_fields(self) -> dict[str, FieldDef]:
        """Writable reference fields by API name (the references a save checks)."""
        return {
            f.name: f
            for f in self.iter_fields()
            if f.type == "reference" and (f.createable or f.updateable)
        }

    @cached_property
    def unique_fields(self) -> dict[str, FieldDef]:
        return {f.name: f for f in self.iter_fields() if f.unique}

    @cached_property
    def required_fields(self) -> tuple[FieldDef, ...]:
        """Fields a save must give a value (not nillable, not boolean, writable)."""
        return tuple(
            f
            for f in self.iter_fields()
            if not f.nillable and f.type != "boolean" and (f.createable or f.updateable)
        )


class OrgSchema:
    """All objects of the org, looked up case-insensitively by API name or key prefix."""

    def __init__(self, objects: list[ObjectDef]) -> None:
        self._objects = {obj.name.lower(): obj for obj in objects}
        self._by_prefix = {obj.key_prefix: obj for obj in objects}
        for obj in objects:
            for ref in obj.iter_fields():
                for target in ref.reference_to:
                    parent = self._objects.get(target.lower())
                    if parent and ref.relationship_name:
                        parent.child_relationships.append((obj.name, ref.name, None))

    def object(self, name: str) -> ObjectDef | None:
        return self._objects.get(name.lower())

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        return self._by_prefix.get(record_id[:3])

    def objects(self) -> list[ObjectDef]:
        return sorted(self._objects.values(), key=lambda obj: obj.name)


def load_schema(path: Path | None = None) -> OrgSchema:
    """The standard objects plus the org schema file (the bundled default when `path` is None)."""
    documents = [_read_yaml(_STANDARD_FILE), _read_yaml(path or DEFAULT_SCHEMA_FILE)]
    return build_schema(documents)


def build_schema(documents: list[Mapping[str, Any]]) -> OrgSchema:
    objects: dict[str, ObjectDef] = {}
    for document in documents:
        _merge_document(objects, document)
    schema = OrgSchema(list(objects.values()))
    _check_references(schema)
    return schema


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"cannot read schema file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemaError(f"schema file {path} must hold a mapping with an 'objects' key")
    return data


def _merge_document(objects: dict[str, ObjectDef], document: Mapping[str, Any]) -> None:
    for name, spec in (document.get("objects") or {}).items():
        spec = spec or {}
        key = name.lower()
        obj = objects.get(key)
        if obj is None:
            obj = _new_object(name, spec)
            objects[key] = obj
        for field_name, field_spec in (spec.get("fields") or {}).items():
            obj.fields[field_name.lower()] = _field(obj.name, field_name, field_spec or {})
        if "history_tracked" in spec:
            obj.history_tracked = _history_tracked(obj.name, spec["history_tracked"])
        for rule in spec.get("validation_rules") or []:
            obj.validation_rules.append(_validation_rule(obj.name, rule))
        for rule in spec.get("duplicate_rules") or []:
            obj.duplicate_rules.append(_duplicate_rule(obj.name, rule))


def _new_object(name: str, spec: Mapping[str, Any]) -> ObjectDef:
    custom = name.endswith("__c")
    prefix = spec.get("key_prefix")
    if not isinstance(prefix, str) or len(prefix) != 3:
        raise SchemaError(f"object {name}: key_prefix must be 3 characters")
    label = spec.get("label", name.removesuffix("__c").replace("_", " "))
    obj = ObjectDef(
        name=name,
        label=label,
        label_plural=spec.get("label_plural", label + "s"),
        key_prefix=prefix,
        custom=custom,
        createable=spec.get("createable", True),
        updateable=spec.get("updateable", True),
        deletable=spec.get("deletable", True),
        mergeable=spec.get("mergeable", False),
    )
    for system_field in _system_fields(obj):
        obj.fields[system_field.name.lower()] = system_field
    return obj


def _system_fields(obj: ObjectDef) -> list[FieldDef]:
    audit: dict[str, Any] = {"createable": False, "updateable": False, "nillable": False}
    fields = [
        FieldDef("Id", "id", f"{obj.label} ID", length=18, id_lookup=True, **audit),
        FieldDef("IsDeleted", "boolean", "Deleted", default=False, **audit),
        FieldDef("CreatedDate", "datetime", "Created Date", **audit),
        FieldDef(
            "CreatedById",
            "reference",
            "Created By ID",
            length=18,
            reference_to=("User",),
            relationship_name="CreatedBy",
            **audit,
        ),
        FieldDef("LastModifiedDate", "datetime", "Last Modified Date", **audit),
        FieldDef(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            length=18,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
            **audit,
        ),
        FieldDef("SystemModstamp", "datetime", "System Modstamp", **audit),
    ]
    if obj.mergeable:
        fields.append(
            FieldDef(
                "MasterRecordId",
                "reference",
                "Master Record ID",
                length=18,
                reference_to=(obj.name,),
                relationship_name="MasterRecord",
                createable=False,
                updateable=False,
            )
        )
    return fields


def _field(object_name: str, name: str, spec: Mapping[str, Any]) -> FieldDef:
    where = f"object {object_name}, field {name}"
    field_type = spec.get("type", "string")
    if field_type not in ALL_TYPES:
        raise SchemaError(f"{where}: unknown type {field_type!r}")
    read_only = bool(spec.get("read_only", False)) or "formula" in spec
    picklist = tuple(str(value) for value in spec.get("values") or ())
    if field_type in {"picklist", "multipicklist"} and not picklist:
        raise SchemaError(f"{where}: a picklist needs 'values'")
    reference_to = spec.get("reference_to") or ()
    if isinstance(reference_to, str):
        reference_to = (reference_to,)
    if field_type == "reference" and not reference_to:
        raise SchemaError(f"{where}: a reference needs 'reference_to'")
    relationship = spec.get("relationship_name")
    if field_type == "reference" and relationship is None:
        relationship = name[:-3] + "__r" if name.endswith("__c") else name.removesuffix("Id")
    length = int(spec.get("length", _default_length(field_type)))
    return FieldDef(
        name=name,
        type=field_type,
        label=spec.get("label", name.removesuffix("__c").replace("_", " ")),
        length=length,
        nillable=not spec.get("required", False) and field_type != "boolean",
        createable=not read_only,
        updateable=not read_only and not spec.get("create_only", False),
        unique=bool(spec.get("unique", False)),
        external_id=bool(spec.get("external_id", False)),
        id_lookup=bool(spec.get("external_id", False)) or name in {"Email", "Name"},
        default=spec.get("default", False if field_type == "boolean" else None),
        picklist_values=picklist,
        default_picklist_value=spec.get("default_value"),
        restricted_picklist=bool(spec.get("restricted", False)),
        reference_to=tuple(reference_to),
        relationship_name=relationship,
        formula=spec.get("formula"),
        precision=int(spec.get("precision", 18 if field_type in NUMBER_TYPES else 0)),
        scale=int(spec.get("scale", 2 if field_type in {"currency", "double"} else 0)),
        custom=name.endswith("__c"),
        indexed=bool(spec.get("indexed", False)) or field_type == "reference",
    )


def _default_length(field_type: str) -> int:
    return {
        "string": 255,
        "textarea": 32000,
        "email": 80,
        "phone": 40,
        "url": 255,
        "picklist": 255,
        "multipicklist": 4099,
        "reference": 18,
        "combobox": 255,
        "encryptedstring": 175,
    }.get(field_type, 0)


def _validation_rule(object_name: str, spec: Mapping[str, Any]) -> ValidationRule:
    for key in ("name", "condition", "message"):
        if not spec.get(key):
            raise SchemaError(f"object {object_name}: a validation rule needs '{key}'")
    return ValidationRule(
        name=spec["name"],
        condition=spec["condition"],
        message=spec["message"],
        error_field=spec.get("field"),
        active=spec.get("active", True),
    )


def _duplicate_rule(object_name: str, spec: Mapping[str, Any]) -> DuplicateRule:
    if not spec.get("name") or not spec.get("match_fields"):
        raise SchemaError(f"object {object_name}: a duplicate rule needs 'name' and 'match_fields'")
    action = spec.get("action", "block")
    if action not in {"block", "alert"}:
        raise SchemaError(f"object {object_name}, duplicate rule {spec['name']}: bad action")
    return DuplicateRule(
        name=spec["name"],
        match_fields=tuple(spec["match_fields"]),
        action=action,
        operations=tuple(spec.get("operations", ("create", "update"))),
        message=spec.get("message", "Use one of these records?"),
        active=spec.get("active", True),
    )


def _history_tracked(object_name: str, spec: Any) -> tuple[str, ...]:
    if not isinstance(spec, list) or not all(isinstance(name, str) for name in spec):
        raise SchemaError(f"object {object_name}: history_tracked must be a list of field names")
    return tuple(spec)


def _check_history(schema: OrgSchema, obj: ObjectDef) -> None:
    """Tracked fields must exist, and the object's history object must be there for them."""
    if not obj.history_tracked:
        return
    history, parent = obj.history_names()
    found = schema.object(history)
    if found is None or found.field(parent) is None:
        raise SchemaError(f"object {obj.name}: history_tracked needs an object {history}")
    for name in obj.history_tracked:
        tracked = obj.field(name)
        if tracked is None or tracked.calculated:
            raise SchemaError(f"object {obj.name}, history_tracked: no writable field {name}")


def _check_references(schema: OrgSchema) -> None:
    for obj in schema.objects():
        _check_history(schema, obj)
        for ref in obj.iter_fields():
            for target in ref.reference_to:
                if schema.object(target) is None:
                    raise SchemaError(
                        f"object {obj.name}, field {ref.name}: references unknown object {target}"
                    )
        for rule in obj.duplicate_rules:
            for match_field in rule.match_fields:
                if obj.field(match_field) is None:
                    raise SchemaError(
                        f"object {obj.name}, duplicate rule {rule.name}: no field {match_field}"
                    )
