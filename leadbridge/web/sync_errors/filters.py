"""The Sync Errors page's query string as an `ErrorFilter`, and back: every page, link and
form of the area carries the same filter (`?kind=data&prospect=12` from other pages too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import Request

from leadbridge.diagnostics.kinds import parse_kind
from leadbridge.diagnostics.listing import STATES, Cursor, ErrorFilter, State
from leadbridge.errors import InputError
from leadbridge.web.params import MAX_ROW_ID

KEYS = ("kind", "code", "object", "state", "prospect", "email")
MAX_TEXT = 255
T = TypeVar("T")


@dataclass
class Parsed:
    """The filter as given (`raw`, to fill the form again), as understood, and what was wrong."""

    raw: dict[str, str]
    filter: ErrorFilter
    after: Cursor | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: str) -> str:
        """The filter's query string, with `changes` (an empty value drops the key)."""
        values = {**{k: v for k, v in self.raw.items() if v}, **changes}
        return urlencode({k: v for k, v in values.items() if v})


def _int_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ROW_ID:
        raise InputError("is not a prospect id (a whole number, 1 or more)", item="prospect")
    return int(raw)


def _attempt(parsed: Parsed, key: str, convert: Callable[[str], T]) -> T | None:
    """`convert` the raw value of `key`; a bad one is noted in `parsed.errors`."""
    if not parsed.raw[key]:
        return None
    try:
        return convert(parsed.raw[key])
    except InputError as error:
        parsed.errors[key] = error.reason
        return None


def parse(values: dict[str, str]) -> Parsed:
    """The filter from these values; each bad one is named in `errors` and left out."""
    raw = {key: values.get(key, "").strip()[:MAX_TEXT] for key in KEYS}
    parsed = Parsed(raw, ErrorFilter())
    parsed.filter = ErrorFilter(
        kind=_attempt(parsed, "kind", parse_kind),
        code=raw["code"] or None,
        crm_object=raw["object"] or None,
        state=_attempt(parsed, "state", _state) or "open",
        prospect_id=_attempt(parsed, "prospect", _int_id),
        email=raw["email"] or None,
    )
    after = values.get("after", "")
    if after:
        try:
            parsed.after = Cursor.parse(after[:40])
        except InputError as error:
            parsed.errors["after"] = error.reason
    return parsed


def _state(raw: str) -> State:
    for state in STATES:
        if raw == state:
            return state
    raise InputError(f"must be one of {', '.join(STATES)}", item="state")


def from_request(request: Request) -> Parsed:
    return parse(dict(request.query_params))
