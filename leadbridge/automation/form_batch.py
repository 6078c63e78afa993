"""Applying a batch of kept form posts set-based: the same result as applying each in turn
through `FormSubmissionService.apply`, with a few statements per batch instead of dozens per
post.

For the posts of a batch (claimed, in id order):

- a post already applied (its activity row carries its key `form-post:<id>`) is done, with
  nothing changed; a post whose handler is gone or switched off, or whose values no longer
  pass the checks, is refused with the reason, as one by one;
- the others are applied in rounds: a round holds at most one post per email address, the
  first post of each address in round 1, its second in round 2…, so posts with the same
  email apply in the order they came, each on the prospect as the one before left it;
- a round reads the prospects of its emails once (locked), inserts the new ones in bulk
  (with their "created" audit rows), records the changed values, the activity rows and the
  completion actions in memory, writes them with one statement per table, then runs the
  active rules for the round's prospects at once (`run_rules_for`: set-based when it can).

Posts this cannot apply (a handler that maps a custom field or the marketing campaign, or
whose completion actions are not `set_based.actions_supported`) are left to the caller to
apply one by one — with every other post to the same email, so their order holds. A round
that meets a live email another process took meanwhile (or any other failure) is undone,
and it and the rounds after are left to the caller too: the one-by-one path retries that
race, and keeps one post's failure from holding up the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.automation.completion_batch import CompletionBatch
from leadbridge.automation.engine import run_rules_for
from leadbridge.automation.set_based import COLUMN_FIELDS, actions_supported
from leadbridge.automation.submissions import FormHandlerInactiveError, checked_values
from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.domain.forms import redact
from leadbridge.errors import ConflictError, LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.forms import FormHandler, FormHandlerRepository, FormSubmissionRepository
from leadbridge.store.models import FormPostRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_changes import ProspectChanges, locked_live_by_email_keys
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.prospects import ProspectRepository

logger = logging.getLogger(__name__)
Outcome = LeadbridgeError | None  # None: applied (the row's submission_id set)


def post_key(row: FormPostRow) -> str:
    """The key a post's activity row carries: a post is applied once."""
    return f"form-post:{row.id}"


@dataclass(frozen=True)
class _Post:
    row: FormPostRow
    handler: FormHandler
    values: dict[str, Any]
    key: str  # the email key


class FormPostBatch:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def apply(self, rows: Sequence[FormPostRow]) -> tuple[dict[int, Outcome], list[FormPostRow]]:
        """The outcome of each post applied or refused here (by post id), and the posts left
        to apply one by one, in id order."""
        rows = sorted(rows, key=lambda row: row.id)
        outcomes: dict[int, Outcome] = {}
        landed = FormSubmissionRepository(self.session, self.clock).landed(map(post_key, rows))
        for row in rows:
            if post_key(row) in landed:
                row.submission_id, outcomes[row.id] = landed[post_key(row)], None
        catalog = FieldCatalog.load(self.session)
        posts = self._checked([r for r in rows if r.id not in outcomes], catalog, outcomes)
        batched, single = self._split(posts, catalog)
        rounds = _rounds(batched)
        completion = CompletionBatch(self.session, self.clock, catalog)
        for index, group in enumerate(rounds):
            try:
                with self.session.begin_nested():
                    submission_ids = self._round(group, catalog, completion)
            except Exception as error:  # undone; one by one, each post's failure is its own
                if not isinstance(error, ConflictError):  # not a lost race on a new email
                    logger.exception("form posts could not be applied in a batch")
                single.extend(post for later in rounds[index:] for post in later)
                break
            for post, submission_id in zip(group, submission_ids, strict=True):
                post.row.submission_id, outcomes[post.row.id] = submission_id, None
        return outcomes, sorted((post.row for post in single), key=lambda row: row.id)

    def _checked(
        self, rows: Sequence[FormPostRow], catalog: FieldCatalog, outcomes: dict[int, Outcome]
    ) -> list[_Post]:
        """The posts that pass the checks; the others' reasons go to `outcomes`."""
        handlers: dict[int, FormHandler | LeadbridgeError] = {}
        repository = FormHandlerRepository(self.session, self.clock)
        posts: list[_Post] = []
        for row in rows:
            if row.handler_id not in handlers:
                try:
                    handlers[row.handler_id] = repository.get(row.handler_id)
                except LeadbridgeError as error:
                    handlers[row.handler_id] = error
            handler = handlers[row.handler_id]
            try:
                if isinstance(handler, LeadbridgeError):
                    raise handler
                if not handler.active:
                    raise FormHandlerInactiveError("this form handler is switched off")
                values = checked_values(catalog, handler, row.payload)
            except LeadbridgeError as error:
                outcomes[row.id] = error
                continue
            posts.append(_Post(row, handler, values, email_key(values["email"])))
        return posts

    def _split(
        self, posts: Sequence[_Post], catalog: FieldCatalog
    ) -> tuple[list[_Post], list[_Post]]:
        """(posts applied here, posts left to apply one by one: those this cannot apply and
        every other post to the same email)."""
        completion = CompletionBatch(self.session, self.clock, catalog)
        alone = {
            post.key
            for post in posts
            if not actions_supported(completion.actions(post.handler), catalog)
            or any(
                name != "email" and (name not in COLUMN_FIELDS or catalog.is_custom(name))
                for name in post.values
            )
        }
        return [p for p in posts if p.key not in alone], [p for p in posts if p.key in alone]

    def _round(
        self, posts: Sequence[_Post], catalog: FieldCatalog, completion: CompletionBatch
    ) -> list[int]:
        """Apply posts to distinct emails; their activity rows' ids, in order."""
        existing = locked_live_by_email_keys(self.session, (post.key for post in posts))
        prospects = self._create([post for post in posts if post.key not in existing])
        changes = ProspectChanges(self.clock.now())
        for post in posts:
            before = existing.get(post.key)
            if before is not None:
                update = {name: value for name, value in post.values.items() if name != "email"}
                checked = catalog.check(update, origin=Origin.FORM)
                prospects[post.row.id] = changes.update(
                    before, checked, origin=Origin.FORM, actor=_actor(post.handler)
                )
        submissions = FormSubmissionRepository(self.session, self.clock).record_many(
            [
                (post.handler.id, prospects[post.row.id].id, redact(post.row.payload),
                 post_key(post.row))
                for post in posts
            ]
        )  # fmt: skip
        for post in posts:
            prospects[post.row.id] = completion.run(post.handler, prospects[post.row.id], changes)
        changes.write(self.session)
        ids = [prospects[post.row.id].id for post in posts]
        run_rules_for(self.session, self.clock, ids, Origin.FORM)
        return submissions

    def _create(self, posts: Sequence[_Post]) -> dict[int, Prospect]:
        """New prospects for these posts (distinct new emails), by post id."""
        by_handler: dict[int, list[_Post]] = {}
        for post in posts:
            by_handler.setdefault(post.handler.id, []).append(post)
        created: dict[int, Prospect] = {}
        repository = ProspectRepository(self.session, self.clock)
        for group in by_handler.values():
            added = repository.add_many(
                [post.values for post in group], origin=Origin.FORM, actor=_actor(group[0].handler)
            )
            created.update(
                (post.row.id, prospect) for post, prospect in zip(group, added, strict=True)
            )
        return created


def _actor(handler: FormHandler) -> str:
    return f"form handler {handler.name}"


def _rounds(posts: Sequence[_Post]) -> list[list[_Post]]:
    """Posts (in id order) in rounds of distinct emails: an email's n-th post in round n."""
    rounds: list[list[_Post]] = []
    seen: dict[str, int] = {}
    for post in posts:
        index = seen.get(post.key, 0)
        seen[post.key] = index + 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(post)
    return rounds
