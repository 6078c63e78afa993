"""Retrying sync errors: ask for a new push of each error's prospect.

A retried error stays open; the push engine resolves it when the push succeeds, or counts
another attempt when it fails again, so "retry queued" is not stored: an open error whose
prospect has an unfinished push in the outbox is waiting for that push. An error about a
Salesforce campaign membership also renews the prospect's failed campaign requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadbridge.diagnostics import queries
from leadbridge.diagnostics.campaigns import effect_of, request_again
from leadbridge.domain.why import ErrorEffect
from leadbridge.ports import Clock
from leadbridge.store.models import ProspectRow
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_loading import load_by
from leadbridge.store.sync_errors import SyncError

RETRY_REASON = "retry requested"


@dataclass(frozen=True)
class Skipped:
    error_id: int
    reason: str


@dataclass(frozen=True)
class RetryReport:
    queued: tuple[int, ...]  # errors whose prospect will be pushed again now
    pushes_added: int  # new outbox items (one per prospect, none when one was already due)
    skipped: tuple[Skipped, ...]


def queue_retries(session: Session, clock: Clock, errors: Sequence[SyncError]) -> RetryReport:
    """One push per prospect of these (open) errors, unless one is already due."""
    prospect_ids = sorted({e.prospect_id for e in errors if e.prospect_id is not None})
    prospects = {p.id: p for p in load_by(session, ProspectRow.id, prospect_ids)}
    now = clock.now()
    due = {
        prospect_id
        for prospect_id, items in queries.pending_pushes(session, prospect_ids).items()
        if any(item.available_at <= now for item in items)
    }
    outbox = OutboxRepository(session, clock)
    asked_again: set[int] = set()  # prospects whose failed campaign requests were renewed
    queued: list[int] = []
    skipped: list[Skipped] = []
    added = 0
    for error in errors:
        prospect = None if error.prospect_id is None else prospects.get(error.prospect_id)
        problem = why_not_retryable(error, prospect)
        if problem is not None or prospect is None:
            skipped.append(Skipped(error.id, problem or "its prospect no longer exists"))
            continue
        if effect_of(error) is ErrorEffect.CAMPAIGN and prospect.id not in asked_again:
            request_again(session, clock, prospect.id)
            asked_again.add(prospect.id)
        if prospect.id not in due:
            outbox.enqueue(PUSH, prospect.id, RETRY_REASON)
            due.add(prospect.id)
            added += 1
        queued.append(error.id)
    return RetryReport(tuple(queued), added, tuple(skipped))


def why_not_retryable(error: SyncError, prospect: Prospect | None) -> str | None:
    """Why pushing the error's prospect again cannot help, in plain words; None if it can."""
    if error.resolved_at is not None:
        return f"it was resolved at {error.resolved_at:%Y-%m-%d %H:%M} UTC"
    if error.prospect_id is None:
        return "it is not about one prospect; it clears once its cause is fixed"
    if prospect is None:
        return "its prospect no longer exists"
    restore = f"leadbridge prospects undelete {prospect.id}"
    if prospect.deleted_in_crm:
        return f"{prospect.email} was deleted in Salesforce (to sync it again: {restore})"
    if prospect.recycled:
        return f"{prospect.email} is in the recycle bin (restore it first: {restore})"
    if prospect.do_not_sync:
        return (
            f'{prospect.email} is marked "do not sync with CRM" (clear it first: '
            f"leadbridge prospects edit {prospect.email} -s do_not_sync=false)"
        )
    if not prospect.syncable:
        return (
            f"{prospect.email} is not assigned to a user (assign it first: "
            f"leadbridge prospects assign {prospect.email} USER_EMAIL)"
        )
    return None
