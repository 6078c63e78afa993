"""A form handler being written in the browser: rows of (form field, prospect field,
required), the completion actions as `ActionRow`s, and whether unknown fields are refused."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData

from leadbridge.web.action_rows import ActionRow, edit_rows, rows_from_form, rows_from_json

_FIELD_ITEM = re.compile(r"^field '(.*)'$")


@dataclass(frozen=True)
class FieldRow:
    name: str = ""  # the form field's name, as the website posts it
    target: str = ""  # the prospect field it sets
    required: bool = False


def _default_fields() -> list[FieldRow]:
    return [FieldRow("email", "email", True)]


@dataclass(frozen=True)
class FormDraft:
    name: str = ""
    fields: list[FieldRow] = field(default_factory=_default_fields)
    actions: list[ActionRow] = field(default_factory=list)
    reject_unknown: bool = False

    def field_map(self) -> dict[str, str]:
        return {row.name.strip(): row.target for row in self.fields if row.name.strip()}

    def required(self) -> list[str]:
        return [row.name.strip() for row in self.fields if row.required and row.name.strip()]

    def actions_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.actions]

    def edited(self, op: str) -> FormDraft | None:
        fields = edit_rows(self.fields, op, "field", FieldRow())
        if fields is not None:
            return replace(self, fields=fields)
        actions = edit_rows(self.actions, op, "action", ActionRow())
        if actions is not None:
            return replace(self, actions=actions)
        return None

    def row_problems(self) -> dict[int, str]:
        """Rows that cannot work whatever the fields: no name, no target, a name twice."""
        found: dict[int, str] = {}
        seen: set[str] = set()
        for index, row in enumerate(self.fields):
            name = row.name.strip()
            if not name:
                found[index] = "Give the form field's name (as the website posts it)."
            elif not row.target:
                found[index] = "Choose the prospect field it sets."
            elif name in seen:
                found[index] = f"The form field {name!r} is listed twice."
            seen.add(name)
        return found

    def row_of(self, item: str | None) -> int | None:
        """The row an error from the service ("field 'work_email'") is about."""
        match = _FIELD_ITEM.match(item or "")
        if match is None:
            return None
        names = [row.name.strip() for row in self.fields]
        return names.index(match.group(1)) if match.group(1) in names else None


def draft_from_form(form: FormData) -> FormDraft:
    names, targets, required = (form.getlist(f"f_{key}") for key in ("name", "target", "required"))
    rows = [
        FieldRow(
            str(name)[:300],
            str(targets[index]) if index < len(targets) else "",
            index < len(required) and required[index] == "required",
        )
        for index, name in enumerate(names)
    ]
    return FormDraft(
        name=str(form.get("name", "")),
        fields=rows,
        actions=rows_from_form(form),
        reject_unknown=form.get("reject_unknown") == "on",
    )


def draft_from_handler(handler: Mapping[str, Any]) -> FormDraft:
    """A saved handler (`FormHandlerService.show`) as a draft to edit."""
    required = list(handler["required"])
    rows = [
        FieldRow(name, target, name in required) for name, target in handler["field_map"].items()
    ]
    mapped = set(handler["field_map"])
    rows += [FieldRow(name, name, True) for name in required if name not in mapped]
    return FormDraft(
        name=handler["name"],
        fields=rows or _default_fields(),
        actions=rows_from_json(handler["actions"]),
        reject_unknown=handler["reject_unknown"],
    )
