"""A rule being written in the browser: the form's rows as a `RuleDraft`, and back.

Conditions are rows of (field, operator, value); actions are `ActionRow`s. "Add condition"
and "Remove" edit the rows and show the form again (in place with htmx, as a whole page
without JavaScript); nothing is checked or saved until "Save rule".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData

from leadbridge.domain.criteria import OPERATORS_BY_KIND, Kind, Operator
from leadbridge.web.action_rows import (
    ActionRow,
    edit_rows,
    rows_from_form,
    rows_from_json,
    shown,
    value_at,
)

MAX_REPEAT_DAYS_TEXT = 10
OPERATOR_LABELS = {
    Operator.EQUALS: "equals",
    Operator.NOT_EQUALS: "does not equal",
    Operator.CONTAINS: "contains",
    Operator.STARTS_WITH: "starts with",
    Operator.IS_BLANK: "is blank",
    Operator.IS_NOT_BLANK: "is not blank",
    Operator.GREATER: "is greater than / after",
    Operator.LESS: "is less than / before",
}
VALUE_HINTS = {
    Kind.TEXT: "text",
    Kind.NUMBER: "a number",
    Kind.DATE: "YYYY-MM-DD",
    Kind.BOOLEAN: "true or false",
    Kind.MULTI: "one;or;more",
    Kind.GRADE: "A+ … F",
    Kind.DOMAIN: "example.com",
}
BLANK_OPERATORS = frozenset({str(Operator.IS_BLANK), str(Operator.IS_NOT_BLANK)})
_ROW_ITEM = re.compile(r"^criteria\[(\d+)\]")


@dataclass(frozen=True)
class ConditionRow:
    field: str = ""
    op: str = str(Operator.EQUALS)
    value: str = ""

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"field": self.field.strip(), "op": self.op}
        if self.op not in BLANK_OPERATORS:
            item["value"] = self.value
        return item


@dataclass(frozen=True)
class RuleDraft:
    name: str = ""
    match: str = "all"
    conditions: list[ConditionRow] = field(default_factory=lambda: [ConditionRow()])
    actions: list[ActionRow] = field(default_factory=lambda: [ActionRow()])
    repeat: bool = False
    repeat_after_days: str = ""
    paused: bool = False

    def criteria_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.conditions]

    def actions_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.actions]

    def edited(self, op: str) -> RuleDraft | None:
        """The draft after an "add"/"remove" button (None: `op` is not one)."""
        conditions = edit_rows(self.conditions, op, "condition", ConditionRow())
        if conditions is not None:
            return replace(self, conditions=conditions)
        actions = edit_rows(self.actions, op, "action", ActionRow())
        if actions is not None:
            return replace(self, actions=actions)
        return None


def draft_from_form(form: FormData) -> RuleDraft:
    fields, ops, values = (form.getlist(f"c_{name}") for name in ("field", "op", "value"))
    conditions = [
        ConditionRow(str(name), value_at(ops, index), value_at(values, index))
        for index, name in enumerate(fields)
    ]
    return RuleDraft(
        name=str(form.get("name", "")),
        match=str(form.get("match", "all")),
        conditions=conditions,
        actions=rows_from_form(form),
        repeat=form.get("repeat") == "repeat",
        repeat_after_days=str(form.get("repeat_after_days", ""))[:MAX_REPEAT_DAYS_TEXT],
        paused=form.get("paused") == "on",
    )


def draft_from_rule(rule: Mapping[str, Any]) -> RuleDraft:
    """A saved rule (`RuleService.show`) as a draft to edit."""
    conditions = [
        ConditionRow(str(item.get("field", "")), str(item.get("op", "")), shown(item.get("value")))
        for item in rule["criteria"]
    ]
    days = rule["repeat_after_days"]
    return RuleDraft(
        name=rule["name"],
        match=rule["match"],
        conditions=conditions,
        actions=rows_from_json(rule["actions"]),
        repeat=rule["repeat"],
        repeat_after_days="" if days is None else str(days),
        paused=not rule["active"],
    )


def repeat_days(draft: RuleDraft) -> int | None:
    """None for a once-per-prospect rule; ValueError when the days are not a number."""
    if not draft.repeat:
        return None
    text = draft.repeat_after_days.strip()
    return int(text) if text else 0


def condition_errors(problems: Mapping[str, str]) -> dict[int, str]:
    """Problems named "criteria[2]…" by row index."""
    found: dict[int, str] = {}
    for item, reason in problems.items():
        match = _ROW_ITEM.match(item)
        if match:
            found.setdefault(int(match.group(1)), reason)
    return found


def item_label(item: str) -> str:
    """ "criteria[2].value" → "Condition 3", "actions[0]" → "Action 1", for people."""
    match = re.match(r"^(criteria|actions)\[(\d+)\]", item)
    if match is None:
        return item.capitalize()
    word = "Condition" if match.group(1) == "criteria" else "Action"
    return f"{word} {int(match.group(2)) + 1}"


def operators_for(kind: str | None) -> list[tuple[str, str]]:
    """The operators offered for a field of this kind (all of them for an unknown field)."""
    known = {str(k): ops for k, ops in OPERATORS_BY_KIND.items()}
    allowed = known.get(kind or "", frozenset(Operator))
    return [(str(op), label) for op, label in OPERATOR_LABELS.items() if op in allowed]


def value_hint(kind: str | None) -> str:
    hints = {str(k): hint for k, hint in VALUE_HINTS.items()}
    return hints.get(kind or "", "value")
