"""Form handlers as stored, and the submissions they accepted (prospects' form activity)."""

from __future__ import annotations

import builtins
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.automation import clean_name
from leadbridge.store.chunks import chunked
from leadbridge.store.copy_rows import copy_rows
from leadbridge.store.models import FormHandlerRow, FormSubmissionRow, ProspectRow

SUBMISSIONS: Table = FormSubmissionRow.__table__  # type: ignore[assignment]

MAX_SUBMISSION_PAGE = 1000
PUBLIC_ID_BYTES = 12  # 96 random bits: 16 URL-safe characters
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16}")


def new_public_id() -> str:
    """A form handler's public id: random, so the handlers cannot be walked by number."""
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def is_public_id(text: str) -> bool:
    """Whether `text` has the shape of a public id (checked before any database work)."""
    return _PUBLIC_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class FormHandler:
    id: int
    name: str
    public_id: str
    active: bool
    reject_unknown: bool
    field_map: dict[str, str]  # form field → prospect field (renamed ones only)
    required: tuple[str, ...]
    actions: list[dict[str, Any]]  # completion actions' JSON form
    created_at: datetime
    updated_at: datetime


def _handler(row: FormHandlerRow) -> FormHandler:
    return FormHandler(
        id=row.id,
        name=row.name,
        public_id=row.public_id,
        active=row.active,
        reject_unknown=row.reject_unknown,
        field_map=dict(row.field_map),
        required=tuple(row.required),
        actions=list(row.actions),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class FormSubmission:
    id: int
    handler_id: int
    prospect_id: int
    at: datetime
    payload: dict[str, Any]


def _submission(row: FormSubmissionRow) -> FormSubmission:
    return FormSubmission(row.id, row.handler_id, row.prospect_id, row.at, dict(row.payload))


class FormHandlerRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(
        self,
        name: str,
        *,
        field_map: Mapping[str, str],
        required: Sequence[str],
        actions: list[dict[str, Any]],
        reject_unknown: bool,
        active: bool = True,
    ) -> FormHandler:
        clean = clean_name(name, what="form handler name")
        if self.by_name(clean) is not None:
            raise ConflictError(f"a form handler named {clean!r} already exists")
        now = self.clock.now()
        row = FormHandlerRow(
            name=clean,
            public_id=new_public_id(),
            active=active,
            reject_unknown=reject_unknown,
            field_map=dict(field_map),
            required=list(dict.fromkeys(required)),
            actions=actions,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _handler(row)

    def get(self, handler_id: int) -> FormHandler:
        return _handler(self._row(handler_id))

    def by_public_id(self, public_id: str) -> FormHandler:
        """The handler a website form posts to; NotFoundError names nothing internal."""
        row = None
        if is_public_id(public_id):
            row = self.session.scalar(
                select(FormHandlerRow).where(FormHandlerRow.public_id == public_id)
            )
        if row is None:
            raise NotFoundError("no form handler at this address")
        return _handler(row)

    def by_name(self, name: str) -> FormHandler | None:
        row = self.session.scalar(
            select(FormHandlerRow).where(FormHandlerRow.name == " ".join(name.split()))
        )
        return None if row is None else _handler(row)

    def list(self) -> builtins.list[FormHandler]:
        rows = self.session.scalars(select(FormHandlerRow).order_by(FormHandlerRow.id))
        return [_handler(row) for row in rows]

    def update(
        self,
        handler_id: int,
        *,
        name: str,
        field_map: Mapping[str, str],
        required: Sequence[str],
        actions: builtins.list[dict[str, Any]],
        reject_unknown: bool,
    ) -> FormHandler:
        """Change a handler's definition (its state, id and submissions stay)."""
        row = self._row(handler_id)
        clean = clean_name(name, what="form handler name")
        other = self.by_name(clean)
        if other is not None and other.id != handler_id:
            raise ConflictError(f"a form handler named {clean!r} already exists")
        row.name, row.field_map = clean, dict(field_map)
        row.required = list(dict.fromkeys(required))
        row.actions, row.reject_unknown, row.updated_at = actions, reject_unknown, self.clock.now()
        self.session.flush()
        return _handler(row)

    def set_active(self, handler_id: int, active: bool) -> FormHandler:
        row = self._row(handler_id)
        if row.active != active:
            row.active, row.updated_at = active, self.clock.now()
            self.session.flush()
        return _handler(row)

    def _row(self, handler_id: int) -> FormHandlerRow:
        row = self.session.get(FormHandlerRow, handler_id)
        if row is None:
            raise NotFoundError(f"no form handler with id {handler_id}")
        return row


class FormSubmissionRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def record(
        self,
        handler_id: int,
        prospect_id: int,
        payload: Mapping[str, Any],
        *,
        spool_id: str | None = None,
    ) -> FormSubmission:
        row = FormSubmissionRow(
            handler_id=handler_id,
            prospect_id=prospect_id,
            at=self.clock.now(),
            payload=dict(payload),
            spool_id=spool_id,
        )
        self.session.add(row)
        self.session.flush()
        return _submission(row)

    def record_many(self, posts: Sequence[tuple[int, int, Mapping[str, Any], str]]) -> list[int]:
        """`record` for many posts — (handler id, prospect id, payload, spool id) each — in
        one statement (and one to read their ids back by spool id: RETURNING in parameter
        order is row by row on SQLite); their ids, in the same order."""
        if not posts:
            return []
        now = self.clock.now()
        rows = [
            {
                "handler_id": h,
                "prospect_id": p,
                "at": now,
                "payload": dict(payload),
                "spool_id": key,
            }
            for h, p, payload, key in posts
        ]
        copy_rows(self.session, SUBMISSIONS, rows)
        ids = self.landed(key for *_, key in posts)
        return [ids[key] for *_, key in posts]

    def landed(self, spool_ids: Iterable[str]) -> dict[str, int]:
        """The submissions already recorded under these spool ids: spool id → id."""
        found: dict[str, int] = {}
        for chunk in chunked(list(spool_ids)):
            query = select(FormSubmissionRow.spool_id, FormSubmissionRow.id).where(
                FormSubmissionRow.spool_id.in_(chunk)
            )
            found.update((str(key), int(sid)) for key, sid in self.session.execute(query))
        return found

    def by_spool_id(self, spool_id: str) -> FormSubmission | None:
        row = self.session.scalar(
            select(FormSubmissionRow).where(FormSubmissionRow.spool_id == spool_id)
        )
        return None if row is None else _submission(row)

    def for_prospect(self, prospect_id: int, limit: int = 100) -> list[FormSubmission]:
        """Newest first."""
        if not 1 <= limit <= MAX_SUBMISSION_PAGE:
            raise InputError(f"must be between 1 and {MAX_SUBMISSION_PAGE}", item="limit")
        query = (
            select(FormSubmissionRow)
            .where(FormSubmissionRow.prospect_id == prospect_id)
            .order_by(FormSubmissionRow.id.desc())
            .limit(limit)
        )
        return [_submission(row) for row in self.session.scalars(query)]

    def recent(self, handler_id: int, limit: int = 50) -> list[tuple[FormSubmission, str | None]]:
        """A handler's newest submissions with their prospect's email (None once deleted),
        newest first, in one query."""
        if not 1 <= limit <= MAX_SUBMISSION_PAGE:
            raise InputError(f"must be between 1 and {MAX_SUBMISSION_PAGE}", item="limit")
        query = (
            select(FormSubmissionRow, ProspectRow.email)
            .outerjoin(ProspectRow, ProspectRow.id == FormSubmissionRow.prospect_id)
            .where(FormSubmissionRow.handler_id == handler_id)
            .order_by(FormSubmissionRow.id.desc())
            .limit(limit)
        )
        return [(_submission(row), email) for row, email in self.session.execute(query)]

    def count(self, *, handler_id: int | None = None) -> int:
        query = select(func.count()).select_from(FormSubmissionRow)
        if handler_id is not None:
            query = query.where(FormSubmissionRow.handler_id == handler_id)
        return int(self.session.scalar(query) or 0)
