"""Actions as rows of a form (automation rules' actions, form handlers' completion actions).

Each row is (type, target, value): `target` is what the action names (a user, a group, a
campaign, a field; the points for a score change) and `value` its second part (a campaign
member status, a field's new value). Every row always posts all three inputs, so the lists
stay aligned. Checking the actions is the automation services' job; this only translates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.datastructures import FormData


@dataclass(frozen=True)
class ActionKind:
    type: str
    label: str
    target: str | None = None  # the first input's label (None: not used)
    value: str | None = None  # the second input's label (None: not used)
    target_list: str | None = None  # the datalist offering choices for the target


ACTION_KINDS: tuple[ActionKind, ...] = (
    ActionKind("assign_user", "Assign to a user", "User's email", None, "users"),
    ActionKind("assign_group", "Assign round-robin in a group", "User group", None, "groups"),
    ActionKind("assign_salesforce_rule", "Assign with Salesforce's active lead assignment rule"),
    ActionKind("add_to_crm_campaign", "Add to a Salesforce campaign", "Campaign id", "Status"),
    ActionKind("adjust_score", "Adjust the score", "Points (+ or -)"),
    ActionKind("change_field", "Change a field", "Field", "New value (blank clears)", "fields"),
    ActionKind(
        "set_marketing_campaign", "Set the marketing campaign", "Campaign", None, "campaigns"
    ),
    ActionKind("sync_with_crm", "Sync with Salesforce"),
    ActionKind("set_do_not_sync", "Set do-not-sync"),
    ActionKind("clear_do_not_sync", "Clear do-not-sync"),
)
KINDS = {kind.type: kind for kind in ACTION_KINDS}
_TARGET_KEY = {
    "assign_user": "user",
    "assign_group": "group",
    "add_to_crm_campaign": "campaign_id",
    "adjust_score": "by",
    "change_field": "field",
    "set_marketing_campaign": "campaign",
}
_VALUE_KEY = {"add_to_crm_campaign": "status", "change_field": "value"}
_ROW_ITEM = re.compile(r"^actions\[(\d+)\]")
Row = TypeVar("Row")


@dataclass(frozen=True)
class ActionRow:
    type: str = "assign_user"
    target: str = ""
    value: str = ""

    @property
    def kind(self) -> ActionKind | None:
        return KINDS.get(self.type)

    def to_json(self) -> dict[str, Any]:
        """The action's JSON form, as the automation services take it."""
        item: dict[str, Any] = {"type": self.type}
        if self.type in _TARGET_KEY:
            item[_TARGET_KEY[self.type]] = self.target.strip()
        if self.type == "change_field":
            item["value"] = self.value if self.value.strip() else None
        elif self.type in _VALUE_KEY:
            item[_VALUE_KEY[self.type]] = self.value.strip()
        return item


def rows_from_form(form: FormData) -> list[ActionRow]:
    types, targets, values = (form.getlist(f"a_{name}") for name in ("type", "target", "value"))
    return [
        ActionRow(str(kind), value_at(targets, index), value_at(values, index))
        for index, kind in enumerate(types)
    ]


def rows_from_json(actions: list[Mapping[str, Any]]) -> list[ActionRow]:
    rows = []
    for action in actions:
        kind = str(action.get("type", ""))
        target = action.get(_TARGET_KEY.get(kind, ""), "")
        value = action.get(_VALUE_KEY.get(kind, ""), "")
        rows.append(ActionRow(kind, shown(target), shown(value)))
    return rows


def row_errors(problems: Mapping[str, str]) -> dict[int, str]:
    """Problems named "actions[2]…" by row index."""
    found: dict[int, str] = {}
    for item, reason in problems.items():
        match = _ROW_ITEM.match(item)
        if match:
            found.setdefault(int(match.group(1)), reason)
    return found


def value_at(values: list[Any], index: int) -> str:
    """The form's `index`-th value of a repeated field, or blank."""
    return str(values[index]) if index < len(values) else ""


def shown(value: Any) -> str:
    """A stored value as a form's text box shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def edit_rows(rows: list[Row], op: str, name: str, blank: Row) -> list[Row] | None:
    """The rows after "add_NAME" or "remove_NAME:INDEX" (None: `op` is not about them)."""
    if op == f"add_{name}":
        return [*rows, blank]
    prefix = f"remove_{name}:"
    if op.startswith(prefix):
        index = op[len(prefix) :]
        if index.isdigit() and int(index) < len(rows):
            return [row for position, row in enumerate(rows) if position != int(index)]
        return rows
    return None
