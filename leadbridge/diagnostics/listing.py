"""Sync errors for the console's Sync Errors page: a filter (kind, code, object, open or
resolved, prospect, email), pages of it newest first by keyset (never OFFSET), a bounded
count, retrying a selection or everything the filter matches, and CSV lines of it.

The views, the retry rule and the CSV cells are those of the CLI (`views`, `retry`,
`export`), so the page and `leadbridge errors` never disagree.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from leadbridge.diagnostics.export import COLUMNS, csv_row
from leadbridge.diagnostics.kinds import ErrorKind, kind_of
from leadbridge.diagnostics.retry import RetryReport, queue_retries
from leadbridge.diagnostics.views import ErrorView, error_views
from leadbridge.domain.emails import email_key
from leadbridge.errors import InputError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.models import ProspectRow, SyncErrorRow
from leadbridge.store.sync_errors import MAX_ERRORS_PAGE, SyncError, sync_error_snapshot

State = Literal["open", "resolved", "all"]
STATES: tuple[State, ...] = ("open", "resolved", "all")
COUNT_CAP = 10_000  # counts above this are shown as "10,000+"
MAX_SELECTED = 1000
MAX_OBJECTS = 200  # objects offered as filter choices
_CURSOR = re.compile(r"^(\d{1,20})-(\d{1,10})$")


@dataclass(frozen=True)
class ErrorFilter:
    """Which errors: all given conditions hold. `email` matches the start of the email."""

    kind: ErrorKind | None = None
    code: str | None = None
    crm_object: str | None = None
    state: State = "open"
    prospect_id: int | None = None
    email: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last error's (last_seen_at, id); the next page is older."""

    last_seen_at: datetime
    id: int

    def token(self) -> str:
        micros = int(self.last_seen_at.timestamp() * 1_000_000)
        return f"{micros}-{self.id}"

    @classmethod
    def parse(cls, token: str) -> Cursor:
        found = _CURSOR.match(token)
        if found is None:
            raise InputError("is not a page of this list; start from the first page", item="after")
        micros, error_id = int(found.group(1)), int(found.group(2))
        try:
            moment = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise InputError("is not a page of this list", item="after") from None
        return cls(moment, error_id)


@dataclass(frozen=True)
class ErrorPage:
    errors: list[ErrorView]
    next: Cursor | None


def _conditions(session: Session, flt: ErrorFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.state == "open":
        where.append(SyncErrorRow.resolved_at.is_(None))
    elif flt.state == "resolved":
        where.append(SyncErrorRow.resolved_at.is_not(None))
    if flt.kind is not None:
        codes = sorted(code for code in _all_codes(session) if kind_of(code) is flt.kind)
        where.append(SyncErrorRow.error_code.in_(codes))
    if flt.code:
        where.append(SyncErrorRow.error_code == flt.code)
    if flt.crm_object:
        where.append(SyncErrorRow.crm_object == flt.crm_object)
    if flt.prospect_id is not None:
        where.append(SyncErrorRow.prospect_id == flt.prospect_id)
    if flt.email:
        start = email_key(flt.email)
        emails = select(ProspectRow.id).where(
            ProspectRow.email_key >= start, ProspectRow.email_key < start + "\uffff"
        )
        where.append(SyncErrorRow.prospect_id.in_(emails))
    return where


def _all_codes(session: Session) -> list[str]:
    return _distinct(session, SyncErrorRow.error_code)


def _distinct(
    session: Session, column: InstrumentedAttribute[Any], limit: int | None = None
) -> list[str]:
    """The distinct values of an indexed column, one index seek each (a loose index scan:
    there are a few codes and objects among many errors, and DISTINCT would read them all)."""
    found: list[str] = []
    while True:
        query = select(func.min(column)).where(column.is_not(None))
        if found:
            query = query.where(column > found[-1])
        value = session.scalar(query)
        if value is None or (limit is not None and len(found) >= limit):
            return found
        found.append(str(value))


def _newest_first(query: Select[SyncErrorRow]) -> Select[SyncErrorRow]:
    return query.order_by(SyncErrorRow.last_seen_at.desc(), SyncErrorRow.id.desc())


def _newest(
    session: Session, flt: ErrorFilter, limit: int, after: Cursor | None
) -> list[SyncErrorRow]:
    """The newest `limit` matching rows after `after`. A kind is asked code by code and the
    answers merged: each is one ordered index range (error_code, last_seen_at, id), where one
    query with IN (codes) would sort every open error of the kind."""
    if flt.kind is None or flt.code:
        return _newest_one(session, _conditions(session, flt), limit, after)
    codes = [code for code in _all_codes(session) if kind_of(code) is flt.kind]
    base = _conditions(session, replace(flt, kind=None))
    rows = [
        row
        for code in codes
        for row in _newest_one(session, [*base, SyncErrorRow.error_code == code], limit, after)
    ]
    rows.sort(key=lambda row: (row.last_seen_at, row.id), reverse=True)
    return rows[:limit]


def _newest_one(
    session: Session, where: list[ColumnElement[bool]], limit: int, after: Cursor | None
) -> list[SyncErrorRow]:
    query = select(SyncErrorRow).where(*where)
    if after is not None:
        seen = SyncErrorRow.last_seen_at
        query = query.where(
            or_(
                seen < after.last_seen_at,
                and_(seen == after.last_seen_at, SyncErrorRow.id < after.id),
            )
        )
    return list(session.scalars(_newest_first(query).limit(limit)))


class ErrorListing:
    """The Sync Errors page's reads and actions, one transaction per call."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def page(self, flt: ErrorFilter, *, limit: int = 50, after: Cursor | None = None) -> ErrorPage:
        """Up to `limit` errors newest first (last seen), after `after`."""
        if not 1 <= limit <= MAX_ERRORS_PAGE:
            raise InputError(f"must be between 1 and {MAX_ERRORS_PAGE}", item="limit")
        with self.db.session(readonly=True) as session:
            rows = _newest(session, flt, limit + 1, after)
            errors = [sync_error_snapshot(row) for row in rows[:limit]]
            views = error_views(session, errors)
        last = errors[-1] if len(rows) > limit else None
        return ErrorPage(views, None if last is None else Cursor(last.last_seen_at, last.id))

    def count(self, flt: ErrorFilter) -> int:
        """How many errors match, counted up to COUNT_CAP + 1 (more shows as "10,000+")."""
        with self.db.session(readonly=True) as session:
            inner = (
                select(SyncErrorRow.id).where(*_conditions(session, flt)).limit(COUNT_CAP + 1)
            ).subquery()
            return int(session.scalar(select(func.count()).select_from(inner)) or 0)

    def objects(self) -> list[str]:
        """The Salesforce objects errors are about, for the filter's choices."""
        with self.db.session(readonly=True) as session:
            return _distinct(session, SyncErrorRow.crm_object, MAX_OBJECTS)

    def retry_selected(self, ids: Sequence[int]) -> RetryReport:
        """Push these errors' prospects again; resolved or unknown ones come back skipped."""
        if len(ids) > MAX_SELECTED:
            raise InputError(f"select at most {MAX_SELECTED} errors at a time", item="ids")
        with self.db.session() as session:
            rows = session.scalars(
                select(SyncErrorRow).where(SyncErrorRow.id.in_(sorted(set(ids))))
            )
            errors = [sync_error_snapshot(row) for row in rows]
            return queue_retries(session, self.clock, errors)

    def retry_matching(self, flt: ErrorFilter) -> RetryReport:
        """Push again the prospect of every open error the filter matches."""
        flt = replace(flt, state="open")
        with self.db.session() as session:
            errors = [error for page in self._pages(session, flt) for error in page]
            return queue_retries(session, self.clock, errors)

    def csv_lines(self, flt: ErrorFilter) -> Iterator[str]:
        """The CSV file of every matching error (formula-safe cells), a line at a time, read
        a page per transaction so a long download holds no transaction open."""
        yield _line(list(COLUMNS))
        after: int | None = None
        while True:
            with self.db.session(readonly=True) as session:
                page = next(self._pages(session, flt, after=after), [])
                views = error_views(session, page)
            if not page:
                return
            yield "".join(_line(csv_row(view)) for view in views)
            after = page[-1].id

    def _pages(
        self, session: Session, flt: ErrorFilter, *, after: int | None = None
    ) -> Iterator[list[SyncError]]:
        """Every matching error by id, a page at a time."""
        conditions = _conditions(session, flt)
        while True:
            query = select(SyncErrorRow).where(*conditions)
            if after is not None:
                query = query.where(SyncErrorRow.id > after)
            rows = session.scalars(query.order_by(SyncErrorRow.id).limit(MAX_ERRORS_PAGE))
            page = [sync_error_snapshot(row) for row in rows]
            if not page:
                return
            yield page
            after = page[-1].id


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()
