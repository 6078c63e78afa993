"""A Salesforce lead or contact as prospect values, through the field mappings.

Only the mapped fields count; leadbridge's own fields (score, grade, campaign) never come from
Salesforce, and relationship paths (a contact's Account.Name) are not read here. Values go
through `crm_value` so that what is remembered as agreed compares like for like with what the
push and the pull see later (echo suppression).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadbridge.domain.crm_values import crm_value, is_blank, same_value
from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.ports import CrmRecord
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.sync.config import PushConfig

EXTRA_FIELDS = {"Lead": ("CreatedDate",), "Contact": ("CreatedDate", "AccountId")}


def read_fields(config: PushConfig, object_name: str) -> list[str]:
    """What intake reads of a record: what the push reads, plus creation time and account."""
    obj = config.objects[object_name]
    names = dict.fromkeys(config.read_fields(object_name))
    for name in EXTRA_FIELDS[object_name]:
        found = obj.field(name)
        if found is not None:
            names[found.name] = None
    return list(names)


@dataclass
class CrmValues:
    """One record's mapped values: prospect field → value, and API name → agreed value."""

    values: dict[str, Any] = field(default_factory=dict)
    by_api_name: dict[str, tuple[str, Any]] = field(default_factory=dict)  # → (field, crm form)
    warnings: list[str] = field(default_factory=list)


def crm_values(
    config: PushConfig, catalog: FieldCatalog, object_name: str, record: CrmRecord
) -> CrmValues:
    """The prospect values Salesforce holds for `record` (blanks left out)."""
    obj = config.objects[object_name]
    found = CrmValues()
    for rule in config.rules[object_name]:
        target = None if "." in rule.crm_field else obj.field(rule.crm_field)
        if rule.owned or target is None or target.name not in record or rule.field == "email":
            continue
        value = crm_value(record.get(target.name), target)
        found.by_api_name[target.name] = (rule.field, value)
        if is_blank(value):
            continue
        try:
            found.values.update(catalog.check({rule.field: value}, origin=Origin.SALESFORCE))
        except InputError as error:
            found.warnings.append(f"Salesforce's {target.name} was not taken: {error}")
    return found


def agreed_values(
    config: PushConfig, object_name: str, taken: CrmValues, prospect: Prospect
) -> dict[str, Any]:
    """API name → value for the fields both sides now hold alike (the echo memory)."""
    obj = config.objects[object_name]
    agreed: dict[str, Any] = {}
    for api_name, (name, theirs) in taken.by_api_name.items():
        ours = crm_value(prospect.value(name), obj.field(api_name))
        if same_value(ours, theirs):
            agreed[api_name] = theirs
    email = obj.field("Email")
    if email is not None:
        agreed[email.name] = prospect.email
    return agreed


def fill_values(
    config: PushConfig,
    object_name: str,
    taken: Mapping[str, Any],
    prospect: Prospect,
    given: Mapping[str, Any],
) -> dict[str, Any]:
    """What an existing prospect takes from Salesforce when it gets linked: fields it has no
    value for, and those whose mapping says Salesforce wins; never a field `given` sets."""
    salesforce_wins = {
        rule.field for rule in config.rules[object_name] if rule.behaviour == "use_salesforce"
    }
    return {
        name: value
        for name, value in taken.items()
        if name not in given
        and prospect.value(name) != value
        and (is_blank(prospect.value(name)) or name in salesforce_wins)
    }
