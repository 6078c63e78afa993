"""Changing one prospect's stored values: email identity, custom values, conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadbridge.errors import ConflictError
from leadbridge.store.models import LIVE, ProspectRow, ProspectValueRow
from leadbridge.store.values import to_text

VALUE_KEY_LENGTH = 200


def ensure_email_free(session: Session, key: str, *, except_id: int | None = None) -> None:
    """ConflictError when a live prospect (other than `except_id`) has this email key."""
    query = select(ProspectRow.id, ProspectRow.email).where(ProspectRow.email_key == key, LIVE)
    for prospect_id, email in session.execute(query):
        if prospect_id != except_id:
            raise ConflictError(f"prospect {prospect_id} already has the email {email}")


@contextmanager
def email_conflicts_as_errors() -> Iterator[None]:
    """Turn a race lost on the live-email unique index into a ConflictError."""
    try:
        yield
    except IntegrityError as error:
        if "email_key" in str(error.orig):
            raise ConflictError("another live prospect has this email address") from None
        raise


def set_custom_value(session: Session, prospect_id: int, field_id: int, value: Any) -> None:
    """Store (or, for a blank value, remove) one custom field's value."""
    text = to_text(value)
    row = session.get(ProspectValueRow, (prospect_id, field_id))
    if text is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(
            ProspectValueRow(
                prospect_id=prospect_id,
                field_id=field_id,
                value=text,
                value_key=text[:VALUE_KEY_LENGTH],
            )
        )
    else:
        row.value, row.value_key = text, text[:VALUE_KEY_LENGTH]
