"""Salesforce record ids as a user or a button sends them: 15 or 18 characters, lead or contact."""

from __future__ import annotations

import re

from leadbridge.domain.matching import CONTACT, LEAD

PREFIXES = {"00Q": LEAD, "003": CONTACT}
_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(raw: str) -> str | None:
    """The 18-character form of a 15- or 18-character id (None when it is not an id)."""
    value = raw.strip()
    if not _ID.match(value):
        return None
    return value if len(value) == 18 else value + _suffix(value)


def _suffix(base: str) -> str:
    chars = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, char in enumerate(base[start : start + 5]) if char.isupper())
        chars += _SUFFIX[bits]
    return chars


def object_of(record_id: str) -> str | None:
    """ "Lead" or "Contact" from the id's key prefix, None for anything else."""
    return PREFIXES.get(record_id[:3])
