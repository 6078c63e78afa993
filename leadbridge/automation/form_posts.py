"""Form intake at web scale (PostgreSQL): a post is checked, kept and answered at once;
applying it (the prospect created or updated, completion actions, rules, push queued)
happens afterwards, in batches.

`FormPostIntake.accept` does what is cheap: the handler exists and is on, the post maps
onto prospect fields, required fields are there and every value is valid — the same checks,
and the same errors, as a post applied at once (automation/submissions.py). The handler and
the field catalog are read at most every `CACHE_SECONDS` per process, so a handler switched
off (or a custom field changed) is seen by the intake within that time; a post accepted in
between that no longer applies is marked failed by the processor, with the reason, and
logged. Then the post is handed to the process's group-commit writer
(store/form_post_writer.py: the posts waiting together go in one INSERT and one commit), and
answered once committed.

`process_pending_submissions` applies pending posts: it claims a batch (FOR UPDATE SKIP
LOCKED on PostgreSQL, so processes share the work) and applies it set-based
(automation/form_batch.py: rounds of distinct emails, bulk writes, rules set-based), the
posts it cannot take one by one in a savepoint through `FormSubmissionService.apply`,
marking each row done in the same transaction as its effects. A process that dies
mid-batch commits nothing: the rows are pending again and the next run applies them. A post
applied twice changes nothing the second time (its row is no longer pending, and the
activity row keeps the post's key `form-post:<id>`), so score adjustments and other actions
never apply twice.

Who runs it: on PostgreSQL `leadbridge serve` runs `FormPostIntake.process_forever` on a
background thread (woken by each post, else every `POLL_SECONDS`; slowed down while the
process takes posts in a burst, see automation/busy.py), so nothing stays pending with no
worker running; a job queue can call `process_pending_submissions` instead. On
SQLite there is no intake: a post is applied at once, as before (one process, one writer:
storing first would only add a write).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.orm import Session

from leadbridge.automation.busy import BusyMeter
from leadbridge.automation.form_batch import FormPostBatch, post_key
from leadbridge.automation.submissions import (
    FormHandlerInactiveError,
    FormSubmissionService,
    checked_values,
)
from leadbridge.domain.forms import redact
from leadbridge.errors import ConflictError, LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.database import Database, StoreTransientError, is_transient
from leadbridge.store.form_post_writer import FormPostWriter
from leadbridge.store.form_posts import (
    DONE,
    FAILED,
    MAX_ERROR,
    FormPostRepository,
    keep_form_post,
)
from leadbridge.store.forms import FormHandler, FormHandlerRepository
from leadbridge.store.models import FormPostRow
from leadbridge.store.prospect_fields import FieldCatalog

logger = logging.getLogger(__name__)
CACHE_SECONDS = 2.0
BATCH = 500  # posts a transaction applies (its prospects stay locked until it commits)
POLL_SECONDS = 1.0
BUSY_BATCH = 100  # posts applied at a time while the intake is busy…
BUSY_PAUSE_SECONDS = 5.0  # …every this many seconds
MAX_CACHED = 1000  # handlers kept in the cache
MAX_ATTEMPTS = 5  # a post failing for a passing reason (a lost race, a deadlock) this often
_Definition = tuple[FormHandler, FieldCatalog]


@dataclass(frozen=True)
class ProcessedPosts:
    """What one `process_pending_submissions` call did."""

    applied: int = 0
    failed: int = 0  # refused for good (handler gone or off, a value no longer valid)
    retried: int = 0  # left pending after a passing failure

    @property
    def claimed(self) -> int:
        return self.applied + self.failed + self.retried


def process_pending_submissions(db: Database, clock: Clock, limit: int = BATCH) -> ProcessedPosts:
    """Apply up to `limit` pending form posts, oldest first, in one transaction.

    The posts are applied set-based (automation/form_batch.py: the same result as one by
    one); those it leaves — and those of a round that failed — each in a savepoint
    through `FormSubmissionService.apply` (prospect, completion actions, rules). A post is
    marked done in the transaction that holds its effects; a post refused for good is
    marked failed with the reason; one that failed for a passing reason stays pending (its
    attempts counted, failed after MAX_ATTEMPTS). A failed post stays in `form_posts` with
    its reason; setting it back to pending applies it (once) on the next run. Safe to run
    in several processes at once and to retry: nothing is applied twice. Raises
    StoreTransientError when the database fails the whole batch (nothing committed; run it
    again)."""
    service = FormSubmissionService(db, clock)
    applied = failed = retried = 0
    with db.session() as session:
        rows = FormPostRepository(session, clock).claim(limit)
        outcomes: dict[int, _Passing | LeadbridgeError | None] = {}
        if rows:
            done, single = FormPostBatch(session, clock).apply(rows)
            outcomes.update(done)
            for row in single:
                outcomes[row.id] = _apply(service, session, row)
        for row in rows:
            outcome = outcomes[row.id]
            row.attempts += 1
            if outcome is None:
                row.status, row.processed_at = DONE, clock.now()
                row.payload = redact(row.payload)
                applied += 1
            elif isinstance(outcome, _Passing) and row.attempts < MAX_ATTEMPTS:
                row.error = outcome.reason[:MAX_ERROR]
                retried += 1
            else:
                row.status, row.processed_at = FAILED, clock.now()
                row.error, row.payload = str(outcome)[:MAX_ERROR], redact(row.payload)
                failed += 1
                logger.error(
                    "form post %d refused when applied: %s",
                    row.id,
                    outcome,
                    extra={"action": "form_post_failed", "handler_id": row.handler_id},
                )
        session.flush()
    return ProcessedPosts(applied, failed, retried)


@dataclass(frozen=True)
class _Passing:
    reason: str

    def __str__(self) -> str:
        return self.reason


def _apply(
    service: FormSubmissionService, session: Session, row: FormPostRow
) -> _Passing | LeadbridgeError | None:
    """None when applied (the row's submission_id set); else why not."""
    for attempt in (1, 2):  # a post racing another one for the same new email: once more
        try:
            with session.begin_nested():
                result = service.apply(session, row.handler_id, row.payload, spool_id=post_key(row))
        except ConflictError as error:
            if attempt == 2:
                return _Passing(str(error))
        except StoreTransientError as error:
            return _Passing(str(error))
        except exc.DBAPIError as error:  # a deadlock, a serialization failure: another time
            if not is_transient(error):
                raise
            return _Passing(f"the database could not apply it now: {error.orig}")
        except LeadbridgeError as error:
            return error
        except Exception as error:  # a bug must not stop every post behind this one
            logger.exception("form post %d could not be applied", row.id)
            return LeadbridgeError(f"could not be applied: {type(error).__name__}: {error}")
        else:
            row.submission_id = result.submission_id
            return None
    raise AssertionError("unreachable")  # pragma: no cover


class FormPostIntake:
    """The public endpoint's intake on PostgreSQL: `accept` checks and keeps a post,
    `process_forever` applies what is pending (a background thread of `serve`)."""

    def __init__(self, db: Database, clock: Clock, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.wake = threading.Event()
        self.meter = BusyMeter()
        self._lock = threading.Lock()
        self._handlers: dict[str, tuple[float, FormHandler]] = {}
        self._catalog: tuple[float, FieldCatalog] | None = None
        self._writer = FormPostWriter(db, clock) if db.backend == "postgresql" else None

    def accept(self, public_id: str, submitted: Mapping[str, Any], client: str | None) -> int:
        """Check a post to the handler `public_id` and keep it; the kept post's id.

        Raises as an immediate submission would: NotFoundError (no such handler),
        FormHandlerInactiveError (switched off), SubmissionError (names the form field);
        StoreTransientError when the store cannot take it now."""
        handler = self._checked(self._cached(public_id) or self._load(public_id), submitted)
        if self._writer is None:
            post_id = keep_form_post(self.db, self.clock, handler.id, submitted, client)
        else:
            post_id = self._writer.keep(handler.id, submitted, client)
        self.meter.tick()
        self.wake.set()
        return post_id

    async def accept_async(
        self, public_id: str, submitted: Mapping[str, Any], client: str | None
    ) -> int:
        """`accept` for the event loop (the public endpoint's): the checks run on the loop
        (the definition from the cache, read on a thread when it is stale), and the post is
        kept by the group-commit writer while the loop serves other requests."""
        definition = self._cached(public_id)
        if definition is None:
            definition = await asyncio.to_thread(self._load, public_id)
        handler = self._checked(definition, submitted)
        if self._writer is None:
            post_id = await asyncio.to_thread(
                keep_form_post, self.db, self.clock, handler.id, submitted, client
            )
        else:
            post_id = await self._writer.keep_async(handler.id, submitted, client)
        self.meter.tick()
        self.wake.set()
        return post_id

    def close(self) -> None:
        """Stop the writer (the posts handed to it are written first)."""
        if self._writer is not None:
            self._writer.close()

    def _checked(self, definition: _Definition, submitted: Mapping[str, Any]) -> FormHandler:
        handler, catalog = definition
        if not handler.active:
            raise FormHandlerInactiveError("this form handler is switched off")
        checked_values(catalog, handler, submitted)
        return handler

    def _cached(self, public_id: str) -> _Definition | None:
        """The handler and field catalog from the cache, None when either is stale."""
        now = time.monotonic()
        with self._lock:
            cached = self._handlers.get(public_id)
            catalog = self._catalog
        if cached is None or cached[0] <= now or catalog is None or catalog[0] <= now:
            return None
        return cached[1], catalog[1]

    def _load(self, public_id: str) -> _Definition:
        """Read the handler and the field catalog, and cache them (NotFoundError: none)."""
        with self.db.session(readonly=True) as session:
            handler = FormHandlerRepository(session, self.clock).by_public_id(public_id)
            fresh = FieldCatalog.load(session)
        expires = time.monotonic() + self.cache_seconds
        with self._lock:
            if len(self._handlers) > MAX_CACHED:
                self._handlers.clear()
            self._handlers[public_id] = (expires, handler)
            self._catalog = (expires, fresh)
        return handler, fresh

    def process_forever(self, stop: threading.Event, *, limit: int = BATCH) -> None:
        """Apply pending posts until `stop` is set: at once after a post, else every
        POLL_SECONDS (posts another process kept, ones left after a crash). While this
        process takes posts in a burst (`busy.BusyMeter`), BUSY_BATCH posts every
        BUSY_PAUSE_SECONDS only: taking posts comes first, and the backlog is kept."""
        while not stop.is_set():
            self.wake.clear()
            busy = self.meter.busy()
            size = BUSY_BATCH if busy else limit
            try:
                done = process_pending_submissions(self.db, self.clock, size)
            except StoreTransientError as error:
                logger.warning("form posts not applied now (%s); trying again", error)
                stop.wait(POLL_SECONDS)
                continue
            if busy:
                stop.wait(BUSY_PAUSE_SECONDS)
            elif done.claimed < size:
                self.wake.wait(POLL_SECONDS)
