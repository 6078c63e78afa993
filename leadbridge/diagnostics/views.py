"""A sync error as people see it: with its kind, its prospect's email and its retry state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.diagnostics import queries
from leadbridge.diagnostics.kinds import ADVICE, ErrorKind, kind_of
from leadbridge.store.sync_errors import SyncError


@dataclass(frozen=True)
class ErrorView:
    id: int
    kind: ErrorKind
    error_code: str
    message: str
    fields: tuple[str, ...]
    prospect_id: int | None
    prospect_email: str | None
    crm_object: str | None
    crm_id: str | None
    attempts: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    next_attempt_at: datetime | None  # when a push of its prospect is queued

    @property
    def status(self) -> str:
        if self.resolved_at is not None:
            return "resolved"
        return "push queued" if self.next_attempt_at is not None else "open"

    @property
    def advice(self) -> str:
        return ADVICE[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "kind": str(self.kind),
            "error_code": self.error_code,
            "message": self.message,
            "fields": list(self.fields),
            "prospect_id": self.prospect_id,
            "prospect_email": self.prospect_email,
            "crm_object": self.crm_object,
            "crm_id": self.crm_id,
            "attempts": self.attempts,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "resolved_at": _iso(self.resolved_at),
            "next_attempt_at": _iso(self.next_attempt_at),
            "advice": self.advice,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def error_views(session: Session, errors: Sequence[SyncError]) -> list[ErrorView]:
    """The errors with what people need next to them (two queries, however many errors)."""
    prospect_ids = [error.prospect_id for error in errors if error.prospect_id is not None]
    emails = queries.prospect_emails(session, prospect_ids)
    pending = queries.pending_pushes(session, prospect_ids)
    views = []
    for error in errors:
        prospect_id = error.prospect_id
        items = [] if prospect_id is None else pending.get(prospect_id, [])
        views.append(
            ErrorView(
                id=error.id,
                kind=kind_of(error.error_code),
                error_code=error.error_code,
                message=error.message,
                fields=error.fields,
                prospect_id=error.prospect_id,
                prospect_email=None if prospect_id is None else emails.get(prospect_id),
                crm_object=error.crm_object,
                crm_id=error.crm_id,
                attempts=error.attempts,
                first_seen_at=error.first_seen_at,
                last_seen_at=error.last_seen_at,
                resolved_at=error.resolved_at,
                next_attempt_at=items[0].available_at if items else None,
            )
        )
    return views
