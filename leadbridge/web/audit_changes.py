"""Audit entries as people read them, for every page that shows them (Insight's history and
the Audit log): a field's label rather than its column name, and a user's name rather than
the id an assignment stores. Everything a page needs is read in two queries, however many
entries it shows (no query per entry)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.fields import DEFAULT_FIELDS
from leadbridge.store.audit import AuditEntry
from leadbridge.store.models import CustomFieldRow
from leadbridge.store.users import user_names

ASSIGNED = "assigned_user_id"
# Audit field names that are not prospect fields, and their labels.
_OTHER_LABELS = {
    ASSIGNED: "Assigned user",
    "prospect": "Prospect",
    "recycled": "In the recycle bin",
}
_LABELS = {**{f.name: f.label for f in DEFAULT_FIELDS}, **_OTHER_LABELS}


@dataclass(frozen=True)
class ShownChange:
    """One entry in words: `label` (the raw `field` when it has none), old → new."""

    field: str
    label: str
    old: str | None
    new: str | None


def shown_changes(session: Session, entries: Iterable[AuditEntry]) -> dict[int, ShownChange]:
    """Each entry, by its id, as the page shows it."""
    listed = list(entries)
    labels = _labels(session, {entry.field for entry in listed})
    users = user_names(session, _user_ids(listed))
    return {
        entry.id: ShownChange(
            entry.field,
            labels.get(entry.field, entry.field),
            _value(entry.field, entry.old_value, users),
            _value(entry.field, entry.new_value, users),
        )
        for entry in listed
    }


def _labels(session: Session, fields: set[str]) -> dict[str, str]:
    unknown = fields - _LABELS.keys()
    custom: dict[str, str] = {}
    if unknown:
        query = select(CustomFieldRow.name, CustomFieldRow.label).where(
            CustomFieldRow.name.in_(unknown)
        )
        custom = {name: label for name, label in session.execute(query) if label}
    return {**_LABELS, **custom}


def _user_id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _user_ids(entries: list[AuditEntry]) -> set[int]:
    found = {
        _user_id(value)
        for entry in entries
        if entry.field == ASSIGNED
        for value in (entry.old_value, entry.new_value)
    }
    return {user_id for user_id in found if user_id is not None}


def _value(field: str, value: str | None, users: dict[int, str]) -> str | None:
    user_id = _user_id(value) if field == ASSIGNED else None
    if user_id is None:
        return value
    return users.get(user_id, f"user {user_id} (no longer exists)")
