"""The Salesforce ids the "Send to leadbridge" button passes: 15 or 18 letters and digits,
of a lead (00Q…) or a contact (003…), at most `MAX_IDS` at a time. Each bad one is named with
the reason, so a person can see what the button sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_IDS = 2000
MAX_SHOWN = 40  # characters of a bad id shown back
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
OBJECTS = {"00Q": "lead", "003": "contact"}


@dataclass(frozen=True)
class BadId:
    shown: str
    reason: str


@dataclass
class SentIds:
    valid: list[str] = field(default_factory=list)
    bad: list[BadId] = field(default_factory=list)
    too_many: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.valid) and not self.too_many


def parse_ids(raw: str) -> SentIds:
    """The ids in `raw` (separated by commas or spaces), duplicates dropped, in order."""
    found = SentIds()
    seen: set[str] = set()
    for text in re.split(r"[\s,;]+", raw.strip()):
        if not text or text in seen:
            continue
        seen.add(text)
        reason = _problem(text)
        if reason is None:
            found.valid.append(text)
        else:
            shown = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"
            found.bad.append(BadId(shown, reason))
    found.too_many = len(found.valid) > MAX_IDS
    return found


def _problem(text: str) -> str | None:
    if not _ID.match(text):
        return "not a Salesforce id (15 or 18 letters and digits)"
    if text[:3] not in OBJECTS:
        return "not a lead or contact id (leads start with 00Q, contacts with 003)"
    return None
