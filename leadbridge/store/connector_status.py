"""What the console shows of the connector's health, read from the store alone: the last
verify's outcome, the org's API usage as last seen, the last poll, the sync queue, open sync
errors by kind, and the Salesforce users seen at the last user sync.

The outcomes are kept as sync cursors of a pseudo-object `Connector` (JSON values): the
verify and the sync loop write them (they hold the Salesforce client); pages only read them,
so a page refreshed every few seconds never spends an API call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadbridge.domain.pull import PULL_CURSOR
from leadbridge.domain.push import error_kind
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.models import SyncCursorRow
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.sync_errors import SyncErrorRepository

_OBJECT = "Connector"
_VERIFY = "last_verify"
_USAGE = "api_usage"
_CRM_USERS = "crm_users"
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class VerifyOutcome:
    ok: bool
    at: datetime
    problems: tuple[str, ...] = ()
    instance: str | None = None  # the org's instance host, once logged in


@dataclass(frozen=True)
class ApiUsage:
    """The org's API calls in the last 24 hours (Salesforce's own count) and its allowance."""

    used: int
    limit: int
    at: datetime

    def budget(self, percent: int) -> int:
        """The calls leadbridge may let the org reach before it stops (its budget)."""
        return self.limit * percent // 100

    def share(self) -> int:
        return round(100 * self.used / self.limit) if self.limit else 0


@dataclass(frozen=True)
class CrmUserEntry:
    """A Salesforce user as the last user sync saw them."""

    id: str
    username: str
    email: str
    name: str


@dataclass(frozen=True)
class Health:
    verify: VerifyOutcome | None
    usage: ApiUsage | None
    last_poll: datetime | None
    queued: int
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def open_errors(self) -> int:
        return sum(self.errors_by_kind.values())


def _cursor_json(repo: ConnectorRepository, kind: str) -> tuple[Any, datetime | None]:
    row = repo.session.get(SyncCursorRow, (_OBJECT, kind))
    if row is None or not row.value:
        return None, None
    try:
        return json.loads(row.value), row.updated_at
    except ValueError:
        return None, None


def record_verify(
    repo: ConnectorRepository,
    *,
    ok: bool,
    problems: Iterable[str],
    at: datetime,
    instance: str | None = None,
) -> None:
    value = {
        "ok": ok,
        "problems": [str(p) for p in problems][:MAX_PROBLEMS],
        "instance": instance,
    }
    repo.set_cursor(_OBJECT, _VERIFY, json.dumps(value), at)


def last_verify(repo: ConnectorRepository) -> VerifyOutcome | None:
    value, at = _cursor_json(repo, _VERIFY)
    if not isinstance(value, dict) or at is None:
        return None
    problems = tuple(str(p) for p in value.get("problems") or ())
    instance = value.get("instance")
    return VerifyOutcome(bool(value.get("ok")), at, problems, str(instance) if instance else None)


def record_api_usage(
    repo: ConnectorRepository, *, used: int | None, limit: int | None, at: datetime
) -> None:
    """The org's usage from the last reply that carried it (nothing when none did)."""
    if used is None or not limit:
        return
    repo.set_cursor(_OBJECT, _USAGE, json.dumps({"used": used, "limit": limit}), at)


def api_usage(repo: ConnectorRepository) -> ApiUsage | None:
    value, at = _cursor_json(repo, _USAGE)
    if not isinstance(value, dict) or at is None:
        return None
    return ApiUsage(int(value["used"]), int(value["limit"]), at)


def record_crm_users(
    repo: ConnectorRepository, entries: Iterable[Mapping[str, str]], at: datetime
) -> None:
    """Remember the Salesforce users a user sync reported (those with an id)."""
    users = {e["id"]: dict(e) for e in entries if e.get("id")}
    ordered = sorted(users.values(), key=lambda e: e.get("username", "").lower())
    repo.set_cursor(_OBJECT, _CRM_USERS, json.dumps(ordered), at)


def crm_users(repo: ConnectorRepository) -> tuple[list[CrmUserEntry], datetime | None]:
    value, at = _cursor_json(repo, _CRM_USERS)
    if not isinstance(value, list):
        return [], None
    found = [
        CrmUserEntry(
            str(e["id"]),
            str(e.get("crm_username") or e.get("username") or ""),
            str(e.get("email") or ""),
            str(e.get("name") or ""),
        )
        for e in value
        if isinstance(e, dict) and e.get("id")
    ]
    return found, at


def last_poll(session: Session) -> datetime | None:
    """When the last pull finished reading Salesforce's changes."""
    query = select(func.max(SyncCursorRow.updated_at)).where(SyncCursorRow.kind == PULL_CURSOR)
    found: datetime | None = session.scalar(query)
    return found


def errors_by_kind(session: Session, errors: SyncErrorRepository) -> dict[str, int]:
    """Open sync errors per kind (data, duplicate, permission …), biggest first."""
    counts: dict[str, int] = {}
    for code, count in errors.counts_by_code().items():
        kind = str(error_kind(code))
        counts[kind] = counts.get(kind, 0) + count
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def health(session: Session, repo: ConnectorRepository, errors: SyncErrorRepository) -> Health:
    return Health(
        verify=last_verify(repo),
        usage=api_usage(repo),
        last_poll=last_poll(session),
        queued=OutboxRepository(session, errors.clock).count_pending(PUSH),
        errors_by_kind=errors_by_kind(session, errors),
    )
