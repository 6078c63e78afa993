"""Email addresses are a prospect's identity: trimmed and compared case-insensitively."""

from __future__ import annotations

import re

from leadbridge.errors import InputError

MAX_EMAIL_LENGTH = 255
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def clean_email(raw: str) -> str:
    """The email as stored: surrounding whitespace removed, case kept (display form)."""
    return raw.strip()


def email_key(raw: str) -> str:
    """The comparison key: trimmed and lower-cased."""
    return raw.strip().lower()


def validate_email(raw: str, *, item: str = "email") -> str:
    """The cleaned email, or InputError naming `item` and saying what is wrong."""
    email = clean_email(raw)
    if not email:
        raise InputError("an email address is required", item=item)
    if len(email) > MAX_EMAIL_LENGTH:
        raise InputError(f"longer than {MAX_EMAIL_LENGTH} characters", item=item)
    if not _EMAIL.match(email):
        raise InputError(f"{email!r} is not a valid email address", item=item)
    return email
