"""Accepting a form post: one transaction that validates it, creates or updates the prospect
(email is the identity, any case), records the activity, runs the completion actions and then
the automation rules. A bad post raises before anything is kept.

Completion actions run in a savepoint: if one cannot be carried out (say a field value the
field no longer accepts), the visitor's submission is still kept and the failure logged,
because losing a lead over a configuration mistake is worse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.automation.actions import ActionRunner
from leadbridge.automation.engine import RulesReport, run_rules_for
from leadbridge.domain.automation import parse_actions
from leadbridge.domain.fields import Origin
from leadbridge.domain.forms import FormSpec, SubmissionError, map_submission, redact
from leadbridge.errors import ConflictError, InputError, LeadbridgeError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.forms import FormHandler, FormHandlerRepository, FormSubmissionRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.prospects import ProspectRepository

logger = logging.getLogger(__name__)
ATTEMPTS = 2  # a post racing another one for the same new email is retried once
HandlerFinder = Callable[[FormHandlerRepository], FormHandler]


class FormHandlerInactiveError(NotFoundError):
    """The handler exists but is switched off (the API answers 410 Gone)."""


@dataclass(frozen=True)
class SubmissionResult:
    submission_id: int
    prospect_id: int
    created: bool
    done: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    rules: RulesReport = field(default_factory=RulesReport)


class FormSubmissionService:
    """`busy_timeout_ms` bounds how long a post waits for a busy SQLite store before
    StoreTransientError (the HTTP app then spools the post: see automation/spool.py)."""

    def __init__(self, db: Database, clock: Clock, *, busy_timeout_ms: int | None = None) -> None:
        self.db = db
        self.clock = clock
        self.busy_timeout_ms = busy_timeout_ms

    def submit(
        self, handler_id: int, submitted: Mapping[str, Any], *, spool_id: str | None = None
    ) -> SubmissionResult:
        """Accept a post to handler `handler_id` (its row id: the CLI's, tests')."""
        return self._attempts(lambda found: found.get(handler_id), submitted, spool_id)

    def submit_public(
        self, public_id: str, submitted: Mapping[str, Any], *, spool_id: str | None = None
    ) -> SubmissionResult:
        """Accept a post to the handler whose public URL ends in `public_id` (a website's)."""
        return self._attempts(
            lambda handlers: handlers.by_public_id(public_id), submitted, spool_id
        )

    def _attempts(
        self, find: HandlerFinder, submitted: Mapping[str, Any], spool_id: str | None
    ) -> SubmissionResult:
        """SubmissionError names the bad form field.

        With `spool_id` (a post kept in the form spool) a post that already landed is not
        applied again: its first result is returned."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.db.session(busy_timeout_ms=self.busy_timeout_ms) as session:
                    return self._submit(session, find, submitted, spool_id)
            except ConflictError:
                if attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def apply(
        self,
        session: Session,
        handler_id: int,
        submitted: Mapping[str, Any],
        *,
        spool_id: str,
    ) -> SubmissionResult:
        """Apply a post to handler `handler_id` in the caller's transaction (the form post
        processor's): `spool_id` is the post's own key, so a post applied again returns its
        first result and changes nothing. Raises as `submit` does."""
        return self._submit(session, lambda found: found.get(handler_id), submitted, spool_id)

    def _submit(
        self,
        session: Session,
        find: HandlerFinder,
        submitted: Mapping[str, Any],
        spool_id: str | None,
    ) -> SubmissionResult:
        submissions = FormSubmissionRepository(session, self.clock)
        landed = None if spool_id is None else submissions.by_spool_id(spool_id)
        if landed is not None:
            return SubmissionResult(landed.id, landed.prospect_id, created=False)
        handler = find(FormHandlerRepository(session, self.clock))
        if not handler.active:
            raise FormHandlerInactiveError("this form handler is switched off")
        actor = f"form handler {handler.name}"
        values = _checked_values(session, handler, submitted)
        prospect, created = self._upsert(session, values, actor)
        submission = submissions.record(
            handler.id, prospect.id, redact(submitted), spool_id=spool_id
        )
        done, skipped = self._complete(session, handler, prospect, actor)
        rules = run_rules_for(session, self.clock, [prospect.id], Origin.FORM)
        return SubmissionResult(submission.id, prospect.id, created, done, skipped, rules)

    def _upsert(
        self, session: Session, values: dict[str, Any], actor: str
    ) -> tuple[Prospect, bool]:
        prospects = ProspectRepository(session, self.clock)
        existing = prospects.by_email(values["email"])
        if existing is None:
            return prospects.add(values, origin=Origin.FORM, actor=actor), True
        changes = {name: value for name, value in values.items() if name != "email"}
        return prospects.update(existing.id, changes, origin=Origin.FORM, actor=actor), False

    def _complete(
        self, session: Session, handler: FormHandler, prospect: Prospect, actor: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if not handler.actions:
            return (), ()
        try:
            with session.begin_nested():
                runner = ActionRunner(session, self.clock, origin=Origin.FORM, actor=actor)
                outcome = runner.run(prospect.id, parse_actions(handler.actions))
        except LeadbridgeError as error:
            logger.warning(
                "completion actions failed",
                extra={"action": "completion_actions_failed", "handler_id": handler.id},
            )
            return (), (f"completion actions failed: {error}",)
        return outcome.done, outcome.skipped


def _checked_values(
    session: Session, handler: FormHandler, submitted: Mapping[str, Any]
) -> dict[str, Any]:
    return checked_values(FieldCatalog.load(session), handler, submitted)


def checked_values(
    catalog: FieldCatalog, handler: FormHandler, submitted: Mapping[str, Any]
) -> dict[str, Any]:
    """The prospect values the post sets, checked; errors (SubmissionError) name the form
    field."""
    spec = FormSpec(handler.field_map, handler.required, handler.reject_unknown)
    mapped = map_submission(submitted, spec, catalog.specs.keys())
    try:
        catalog.check(mapped.values, origin=Origin.FORM)
    except InputError as error:
        source = mapped.sources.get(error.item or "", error.item)
        raise SubmissionError("invalid_value", error.reason, field=source) from None
    return mapped.values
