"""The Insight page's edit form: which fields it offers, and checking each one on its own
so that every bad field gets its own message."""

from __future__ import annotations

from typing import Any

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store.database import Database
from leadbridge.store.prospect_fields import FieldCatalog

EDITABLE: tuple[tuple[str, str], ...] = (
    ("email", "Email"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("job_title", "Job title"),
    ("company", "Company"),
    ("phone", "Phone"),
    ("website", "Website"),
    ("city", "City"),
    ("country", "Country"),
    ("score", "Score"),
    ("notes", "Notes"),
)
EDITABLE_NAMES = frozenset(name for name, _ in EDITABLE)


def check_changes(db: Database, submitted: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values to save (blank means empty) and the message for each field refused."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    with db.session(readonly=True) as session:
        catalog = FieldCatalog.load(session)
        for name, raw in submitted.items():
            if name not in EDITABLE_NAMES:
                continue
            value: Any = raw.strip() or None
            if name == "score" and value is None:
                value = 0
            try:
                changes.update(catalog.check({name: value}, origin=Origin.USER))
            except InputError as error:
                errors[name] = error.reason
    return changes, errors
