"""Reading the audit logs for the console's Audit log page: prospect field changes and
settings changes, filtered, newest first, a keyset page at a time (never OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store.audit import MAX_AUDIT_PAGE, AuditEntry, entry_of
from leadbridge.store.models import AuditRow, ProspectRow


@dataclass(frozen=True)
class AuditFilter:
    """All given conditions hold: `prospect` is an id or an email (any case); `since`
    and `until` bound `at` (since included, until excluded)."""

    actor: str | None = None
    prospect_id: int | None = None
    prospect_email: str | None = None
    origin: Origin | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditLine:
    entry: AuditEntry
    email: str | None


def _conditions(flt: AuditFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.actor:
        where.append(AuditRow.actor == flt.actor)
    if flt.prospect_id is not None:
        where.append(AuditRow.prospect_id == flt.prospect_id)
    if flt.prospect_email:
        ids = select(ProspectRow.id).where(ProspectRow.email_key == email_key(flt.prospect_email))
        where.append(AuditRow.prospect_id.in_(ids))
    if flt.origin is not None:
        where.append(AuditRow.origin == flt.origin)
    if flt.since is not None:
        where.append(AuditRow.at >= flt.since)
    if flt.until is not None:
        where.append(AuditRow.at < flt.until)
    return where


def audit_page(
    session: Session, flt: AuditFilter, limit: int, *, before_id: int | None = None
) -> list[AuditLine]:
    """Up to `limit` entries newest first (by id), older than `before_id`, with emails."""
    if not 1 <= limit <= MAX_AUDIT_PAGE:
        raise InputError(f"must be between 1 and {MAX_AUDIT_PAGE}", item="limit")
    query = (
        select(AuditRow, ProspectRow.email)
        .join(ProspectRow, ProspectRow.id == AuditRow.prospect_id, isouter=True)
        .where(*_conditions(flt))
    )
    if before_id is not None:
        query = query.where(AuditRow.id < before_id)
    rows = session.execute(query.order_by(AuditRow.id.desc()).limit(limit))
    return [AuditLine(entry_of(row), email) for row, email in rows]


def audit_actors(session: Session, limit: int = 200) -> list[str]:
    """Who made changes (for the filter's suggestions), at most `limit` of them."""
    query = select(AuditRow.actor).where(AuditRow.actor.is_not(None)).distinct().limit(limit)
    return sorted(actor for actor in session.scalars(query) if actor)
