"""The Audit log pages' query strings: each value checked on its own, a bad one named with
its reason (the page answers 422 and shows it next to the field)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store.audit_query import AuditFilter
from leadbridge.store.settings_changes import SettingsFilter
from leadbridge.web.params import MAX_ROW_ID

MAX_TEXT = 255
T = TypeVar("T")


@dataclass
class Parsed:
    raw: dict[str, str]
    before: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: str) -> str:
        values = {**{k: v for k, v in self.raw.items() if v}, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    def attempt(self, key: str, convert: Callable[[str], T]) -> T | None:
        if not self.raw.get(key):
            return None
        try:
            return convert(self.raw[key])
        except InputError as error:
            self.errors[key] = error.reason
            return None


def _row_id(raw: str, item: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ROW_ID:
        raise InputError("is not an id (a whole number, 1 or more)", item=item)
    return int(raw)


def _day(raw: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
    except ValueError:
        raise InputError("is not a date (YYYY-MM-DD)", item="date") from None


def _origin(raw: str) -> Origin:
    try:
        return Origin(raw)
    except ValueError:
        raise InputError(f"must be one of {', '.join(Origin)}", item="origin") from None


def _prospect(raw: str) -> tuple[int | None, str | None]:
    if raw.isascii() and raw.isdigit():
        return _row_id(raw, "prospect"), None
    if "@" in raw:
        return None, raw
    raise InputError("give a prospect id or an email", item="prospect")


def _read(values: dict[str, str], keys: tuple[str, ...]) -> Parsed:
    parsed = Parsed({key: values.get(key, "").strip()[:MAX_TEXT] for key in keys})
    parsed.before = parsed.attempt("before", lambda raw: _row_id(raw, "before"))
    parsed.raw.pop("before", None)
    return parsed


def _dates(parsed: Parsed) -> tuple[datetime | None, datetime | None]:
    since = parsed.attempt("from", _day)
    until = parsed.attempt("to", _day)
    if since and until and until < since:
        parsed.errors["to"] = "is before the start date"
    return since, None if until is None else until + timedelta(days=1)


def parse_audit(values: dict[str, str]) -> tuple[Parsed, AuditFilter]:
    parsed = _read(values, ("actor", "prospect", "origin", "from", "to", "before"))
    prospect_id, email = parsed.attempt("prospect", _prospect) or (None, None)
    since, until = _dates(parsed)
    flt = AuditFilter(
        actor=parsed.raw["actor"] or None,
        prospect_id=prospect_id,
        prospect_email=email,
        origin=parsed.attempt("origin", _origin),
        since=since,
        until=until,
    )
    return parsed, flt


def parse_settings(values: dict[str, str]) -> tuple[Parsed, SettingsFilter]:
    parsed = _read(values, ("actor", "area", "from", "to", "before"))
    since, until = _dates(parsed)
    flt = SettingsFilter(
        actor=parsed.raw["actor"] or None,
        area=parsed.raw["area"] or None,
        since=since,
        until=until,
    )
    return parsed, flt
