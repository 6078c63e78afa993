"""Sync errors for people: list, show, retry, export and count them (one transaction each).

service = SyncErrorService(db, clock)
service.list_open(kind=ErrorKind.DATA, limit=20)   # open errors, newest first
service.retry(12)                             # push the prospect again; stays open till then
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.diagnostics import queries
from leadbridge.diagnostics.export import write_csv
from leadbridge.diagnostics.kinds import ErrorKind, kind_of
from leadbridge.diagnostics.retry import RetryReport, queue_retries, why_not_retryable
from leadbridge.diagnostics.views import ErrorView, error_views
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect_loading import load_by
from leadbridge.store.sync_errors import MAX_ERRORS_PAGE, SyncError, SyncErrorRepository


@dataclass(frozen=True)
class ErrorCounts:
    total: int
    by_kind: dict[str, int]
    by_code: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "by_kind": self.by_kind, "by_code": self.by_code}


class SyncErrorService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def list_open(self, *, kind: ErrorKind | None = None, limit: int = 50) -> list[ErrorView]:
        """Open errors, most recently seen first; only those of `kind` when given."""
        if not 1 <= limit <= MAX_ERRORS_PAGE:
            raise InputError(f"must be between 1 and {MAX_ERRORS_PAGE}", item="limit")
        with self.db.session(readonly=True) as session:
            codes = None if kind is None else self._codes_of(session, kind)
            errors = queries.newest_open_errors(session, limit=limit, codes=codes)
            return error_views(session, errors)

    def show(self, error_id: int) -> ErrorView:
        with self.db.session(readonly=True) as session:
            return error_views(session, [self._get(session, error_id)])[0]

    def retry(self, error_id: int) -> RetryReport:
        """Push the error's prospect again; ConflictError says why when that cannot help."""
        with self.db.session() as session:
            error = self._get(session, error_id)
            ids = [] if error.prospect_id is None else [error.prospect_id]
            prospects = load_by(session, ProspectRow.id, ids)
            problem = why_not_retryable(error, prospects[0] if prospects else None)
            if problem is not None:
                raise ConflictError(f"sync error {error_id} cannot be retried: {problem}")
            return queue_retries(session, self.clock, [error])

    def retry_all(self, *, kind: ErrorKind | None = None) -> RetryReport:
        """Retry every open error (of `kind`); those that cannot be are reported as skipped."""
        with self.db.session() as session:
            codes = None if kind is None else self._codes_of(session, kind)
            errors = [
                error
                for page in self._pages(session)
                for error in page
                if codes is None or error.error_code in codes
            ]
            return queue_retries(session, self.clock, errors)

    def export(self, path: Path, *, force: bool = False) -> int:
        """Write every open error to a CSV file; how many rows."""
        with self.db.session(readonly=True) as session:
            views = (view for page in self._pages(session) for view in error_views(session, page))
            return write_csv(path, views, force=force)

    def counts(self) -> ErrorCounts:
        with self.db.session(readonly=True) as session:
            by_code = SyncErrorRepository(session, self.clock).counts_by_code()
        by_kind: dict[str, int] = {}
        for code, count in by_code.items():
            kind = str(kind_of(code))
            by_kind[kind] = by_kind.get(kind, 0) + count
        return ErrorCounts(
            total=sum(by_code.values()),
            by_kind=dict(sorted(by_kind.items(), key=lambda item: (-item[1], item[0]))),
            by_code=dict(sorted(by_code.items(), key=lambda item: (-item[1], item[0]))),
        )

    def _codes_of(self, session: Session, kind: ErrorKind) -> set[str]:
        codes = SyncErrorRepository(session, self.clock).counts_by_code()
        return {code for code in codes if kind_of(code) is kind}

    def _pages(self, session: Session) -> Iterator[list[SyncError]]:
        """Every open error, oldest first, a page at a time."""
        repo = SyncErrorRepository(session, self.clock)
        after: int | None = None
        while page := repo.open(MAX_ERRORS_PAGE, after_id=after):
            yield page
            after = page[-1].id

    @staticmethod
    def _get(session: Session, error_id: int) -> SyncError:
        error = queries.error_by_id(session, error_id)
        if error is None:
            raise NotFoundError(f"no sync error with id {error_id}: see leadbridge errors list")
        return error
