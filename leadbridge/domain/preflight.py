"""Pre-flight checks: what Salesforce would refuse, found from the described schema before
any call is spent, each with a message that says exactly what to fix.

Each code is Salesforce's own for the same refusal behind a `PREFLIGHT_` prefix
(PREFLIGHT_STRING_TOO_LONG…): the sync errors show that leadbridge stopped the value itself,
and which Salesforce error it spared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from leadbridge.domain.crm_values import MULTISELECT_SEPARATOR, NUMBER_TYPES, TEXT_TYPES
from leadbridge.domain.crm_values import parse_crm_datetime as _parse_datetime
from leadbridge.ports import CrmField, CrmObject

PREFIX = "PREFLIGHT_"
STRING_TOO_LONG = PREFIX + "STRING_TOO_LONG"
BAD_PICKLIST_VALUE = PREFIX + "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
REQUIRED_FIELD_MISSING = PREFIX + "REQUIRED_FIELD_MISSING"
WRONG_TYPE = PREFIX + "INVALID_TYPE_ON_FIELD_IN_RECORD"
NOT_WRITABLE = PREFIX + "INVALID_FIELD_FOR_INSERT_UPDATE"


@dataclass(frozen=True)
class Problem:
    """A reason not to send a record: Salesforce-style code, plain message, API names."""

    code: str
    message: str
    fields: tuple[str, ...] = field(default_factory=tuple)


def preflight(
    values: Mapping[str, Any],
    obj: CrmObject,
    *,
    creating: bool,
    sources: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Problems with writing `values` (API name → value, `crm_value` form) to `obj`.

    `sources` names the prospect field behind each API name, for the messages.
    """
    named = sources or {}
    problems: list[Problem] = []
    for api_name, value in values.items():
        crm_field = obj.field(api_name)
        if crm_field is None or api_name == "Id":
            continue
        source = named.get(api_name)
        problem = _check(obj.name, crm_field, value, creating=creating, source=source)
        if problem is not None:
            problems.append(problem)
    if creating:
        problems.extend(_missing_required(obj, values))
    return problems


def _where(object_name: str, crm_field: CrmField, source: str | None) -> str:
    target = f"Salesforce's {object_name}.{crm_field.name} ({crm_field.label})"
    return target if source is None else f"the prospect's {source}, synced to {target},"


def _check(
    object_name: str, crm_field: CrmField, value: Any, *, creating: bool, source: str | None
) -> Problem | None:
    where = _where(object_name, crm_field, source)
    writable = crm_field.createable if creating else crm_field.updateable
    if not writable or crm_field.calculated:
        return Problem(
            NOT_WRITABLE,
            f"{object_name}.{crm_field.name} is read-only for the connector user; remove it "
            "from the field mapping or make it editable in Salesforce.",
            (crm_field.name,),
        )
    if value is None:
        if not crm_field.nillable and crm_field.type != "boolean":
            return Problem(
                REQUIRED_FIELD_MISSING,
                f"{where} is required in Salesforce but blank: give the prospect a value.",
                (crm_field.name,),
            )
        return None
    kind = crm_field.type
    if kind in TEXT_TYPES or kind == "multipicklist":
        return _check_text(crm_field, value, where)
    if kind in NUMBER_TYPES and (isinstance(value, bool) or not isinstance(value, int | float)):
        return _wrong_type(crm_field, value, where, "a number")
    if kind == "boolean" and not isinstance(value, bool):
        return _wrong_type(crm_field, value, where, "true or false")
    if kind == "date" and not _is_date(value):
        return _wrong_type(crm_field, value, where, "a date (YYYY-MM-DD)")
    if kind == "datetime" and not (isinstance(value, str) and _parse_datetime(value)):
        return _wrong_type(crm_field, value, where, "a date and time")
    return None


def _check_text(crm_field: CrmField, value: Any, where: str) -> Problem | None:
    if not isinstance(value, str):
        return _wrong_type(crm_field, value, where, "text")
    if crm_field.length and len(value) > crm_field.length:
        return Problem(
            STRING_TOO_LONG,
            f"{where} holds at most {crm_field.length} characters, but the value has "
            f"{len(value)}: shorten it to {crm_field.length} characters or fewer.",
            (crm_field.name,),
        )
    if crm_field.restricted_picklist and crm_field.picklist_values:
        chosen = (
            value.split(MULTISELECT_SEPARATOR) if crm_field.type == "multipicklist" else [value]
        )
        bad = [item for item in chosen if item not in crm_field.picklist_values]
        if bad:
            allowed = ", ".join(repr(item) for item in crm_field.picklist_values)
            return Problem(
                BAD_PICKLIST_VALUE,
                f"{where} only accepts {allowed} (exactly, case included), not "
                f"{', '.join(repr(item) for item in bad)}: change the prospect's value or add "
                "it to the picklist in Salesforce.",
                (crm_field.name,),
            )
    return None


def _wrong_type(crm_field: CrmField, value: Any, where: str, wanted: str) -> Problem:
    return Problem(
        WRONG_TYPE,
        f"{where} takes {wanted}, not {value!r}: fix the value or map a field of the right type.",
        (crm_field.name,),
    )


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _missing_required(obj: CrmObject, values: Mapping[str, Any]) -> list[Problem]:
    given = {name.lower() for name in values}  # blank ones are reported by `_check`
    missing = [
        crm_field for crm_field in obj.creation_required if crm_field.name.lower() not in given
    ]
    return [
        Problem(
            REQUIRED_FIELD_MISSING,
            f"Salesforce requires {obj.name}.{crm_field.name} ({crm_field.label}) to create a "
            f"{obj.name.lower()}, and no mapped prospect field fills it: map a field to it or "
            "give it a default value in Salesforce.",
            (crm_field.name,),
        )
        for crm_field in missing
    ]
