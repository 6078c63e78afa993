"""The connector settings form: one entry per setting `leadbridge connector set` accepts,
parsed by the same rules, with per-field messages in the form's own words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from leadbridge.errors import InputError
from leadbridge.store.connector_settings import SETTING_NAMES, ConnectorSettings, parse_setting

Kind = Literal["switch", "number", "text"]


@dataclass(frozen=True)
class SettingField:
    name: str
    label: str
    help: str
    kind: Kind
    low: int = 0
    high: int = 0


FIELDS: tuple[SettingField, ...] = (
    SettingField(
        "poll_interval_seconds",
        "Poll interval (seconds)",
        "How often leadbridge asks Salesforce for changes: 5 to 3600 seconds.",
        "number",
        5,
        3600,
    ),
    SettingField(
        "api_budget_percent",
        "API budget (% of the org's daily allowance)",
        "leadbridge stops calling Salesforce once the org has used this share of its "
        "daily API calls: 1 to 100.",
        "number",
        1,
        100,
    ),
    SettingField(
        "bulk_threshold",
        "Bulk API threshold (records)",
        "Above this many records a sync uses Bulk API 2.0 instead of batches.",
        "number",
        1,
        10_000_000,
    ),
    SettingField(
        "placeholder_company",
        "Placeholder company",
        "Written as the company of a lead created for a prospect without one.",
        "text",
    ),
    SettingField(
        "auto_create_prospects",
        "Create prospects from new Salesforce leads and contacts",
        "New leads and contacts created in Salesforce from now on become prospects.",
        "switch",
    ),
    SettingField(
        "apply_crm_email_changes",
        "Apply email changes made in Salesforce",
        "When off, an email changed in Salesforce does not change the prospect's email.",
        "switch",
    ),
    SettingField(
        "sync_deletes_and_merges",
        "Sync deletes and merges",
        "A lead or contact deleted or merged in Salesforce is deleted or merged here too.",
        "switch",
    ),
    SettingField(
        "change_data_capture",
        "Stream changes from Salesforce (Change Data Capture)",
        "When the org publishes Lead and Contact changes, they arrive as they happen and "
        "the poll is skipped; polling takes over whenever the stream is down.",
        "switch",
    ),
)
assert {f.name for f in FIELDS} == set(SETTING_NAMES), "every setting has a form field"
LABELS = {f.name: f.label for f in FIELDS}


@dataclass(frozen=True)
class Parsed:
    values: dict[str, bool | int | str]  # every setting, typed
    raw: dict[str, str]  # as typed, to show again
    errors: dict[str, str]

    def changes(self, current: ConnectorSettings) -> dict[str, tuple[object, object]]:
        """setting → (old, new), for the settings that differ."""
        return {
            name: (getattr(current, name), value)
            for name, value in self.values.items()
            if getattr(current, name) != value
        }


def _message(field: SettingField, error: InputError) -> str:
    reason = error.reason.replace(field.name, field.label, 1)
    return reason[0].upper() + reason[1:] + "."


def parse_form(form: Mapping[str, str]) -> Parsed:
    """Each field parsed by `parse_setting`; a switch is on when its box is ticked."""
    values: dict[str, bool | int | str] = {}
    raw: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        given = form.get(field.name, "")
        text = ("true" if given else "false") if field.kind == "switch" else given
        raw[field.name] = text
        try:
            values[field.name] = parse_setting(field.name, text)
        except InputError as error:
            errors[field.name] = _message(field, error)
    return Parsed(values, raw, errors)


def current_raw(settings: ConnectorSettings) -> dict[str, str]:
    return {
        field.name: str(getattr(settings, field.name)).lower()
        if field.kind == "switch"
        else str(getattr(settings, field.name))
        for field in FIELDS
    }
