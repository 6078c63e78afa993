"""Recording a wave's outcomes, one transaction per batch: links, agreed values, outbox items
done or retried later, sync errors recorded or resolved.

Salesforce has already been written when this runs. If the process dies before a batch
commits, its outbox items are still pending and the next run pushes those prospects again:
their leads are found (by email, or by the upsert key) and updated, never created twice,
and the values recorded as sent (`writer.record_sent`) tell leadbridge's own echo from a
Salesforce change. A recorded outcome clears them: a success merges them into the agreed
values, a definite failure drops them; a deferred write (unknown or never sent) keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadbridge.domain.fields import Origin
from leadbridge.domain.matching import CONTACT, LEAD, MULTIPLE_MATCHES
from leadbridge.domain.pull import OWNER_NOT_MAPPED, PULL_WARNINGS
from leadbridge.domain.push import error_kind, retry_delay
from leadbridge.ports import Clock
from leadbridge.store.assignment_requests import AssignmentRequestRepository
from leadbridge.store.database import Database
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.queues import is_queue_id
from leadbridge.store.sync_errors import SyncErrorRepository
from leadbridge.store.sync_state import Agreed, Link, SyncStateRepository
from leadbridge.store.users import UserRepository
from leadbridge.sync.push.plan import Outcome
from leadbridge.sync.push.summary import PushSummary

PUSH_OBJECTS = (LEAD, CONTACT, None)  # sync errors a successful push resolves
WARNINGS = (MULTIPLE_MATCHES, *PULL_WARNINGS)
RULE_ACTOR = "salesforce lead assignment rule"


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    crm_object: str | None
    crm_id: str | None
    fields: tuple[str, ...]
    status: int | None = None


def commit(
    db: Database,
    clock: Clock,
    outcomes: Sequence[Outcome],
    summary: PushSummary,
    *,
    batch_size: int,
) -> None:
    for start in range(0, len(outcomes), batch_size):
        batch = outcomes[start : start + batch_size]
        with db.session() as session:
            _Batch(session, clock).record(batch, summary)


class _Batch:
    def __init__(self, session: Any, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.prospects = ProspectRepository(session, clock)
        self.now = clock.now()
        self.outbox = OutboxRepository(session, clock)
        self.errors = SyncErrorRepository(session, clock)
        self.state = SyncStateRepository(session, clock)

    def record(self, outcomes: Sequence[Outcome], summary: PushSummary) -> None:
        done: list[int] = []
        succeeded = [o for o in outcomes if o.succeeded]
        for outcome in outcomes:
            if outcome.deferred:
                continue
            if outcome.skipped is not None:
                summary.skipped += 1
                summary.skipped_by_reason[str(outcome.skipped)] += 1
                done.extend(outcome.candidate.item_ids)
            elif not outcome.succeeded:
                done.extend(self._failed(outcome, summary))
            else:
                done.extend(outcome.candidate.item_ids)
                _count(outcome, summary)
        self._succeeded(succeeded)
        self.state.clear_sent(_settled_sends(outcomes))
        self.outbox.mark_done(done)
        for outcome in succeeded:
            if outcome.warning is not None:
                summary.warnings += 1
                self._warn(outcome, outcome.warning)

    def _succeeded(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        links: list[Link] = []
        agreed: list[Agreed] = []  # merged into what was agreed with the same record
        fresh: list[Agreed] = []  # a new record: start afresh
        for outcome in outcomes:
            assert outcome.plan is not None
            assert outcome.found is not None
            object_name = outcome.plan.object_name
            crm_id = outcome.crm_id or outcome.plan.crm_id
            record = outcome.found.match.record or {}
            owner = outcome.plan.values.get("OwnerId") or record.get("OwnerId")
            if outcome.plan.auto_assign:
                owner = outcome.rule_owner
            links.append(
                Link(
                    outcome.prospect_id,
                    lead_id=crm_id if object_name == LEAD else None,
                    contact_id=crm_id if object_name == CONTACT else None,
                    owner_id=None if owner is None else str(owner),
                    synced_at=self.now,
                )
            )
            entry = Agreed(outcome.prospect_id, object_name, crm_id, outcome.plan.agreed)
            same_record = outcome.found.how == "linked" and not outcome.found.relinked
            if same_record:
                agreed.append(entry)
            else:
                fresh.append(entry)
        self.state.link(links)
        self.state.remember(agreed)
        self.state.remember(fresh, replace=True)
        ids = [o.prospect_id for o in outcomes]
        # A duplicate warning is not a failure: it stays until the duplicates are dealt with.
        self.errors.resolve(self.state.open_errors(ids, PUSH_OBJECTS, except_codes=WARNINGS))
        self._rule_assignments(outcomes)

    def _rule_assignments(self, outcomes: Sequence[Outcome]) -> None:
        """The owner Salesforce's assignment rule picked becomes the prospect's assignment
        (through the user mapping, as a pull would take it), and the requests are done."""
        requested = [o for o in outcomes if o.candidate.rule_assignment]
        if not requested:
            return
        owners: dict[str, int] | None = None
        for outcome in requested:
            owner = outcome.rule_owner
            if owner is None or outcome.plan is None or not outcome.plan.auto_assign:
                continue  # a contact (rules assign leads only) or a lead gone since
            if owners is None:
                owners = {
                    u.crm_user_id: u.id
                    for u in UserRepository(self.session).list(active_only=True)
                    if u.crm_user_id
                }
            user_id = owners.get(owner)
            if user_id is not None:
                self.prospects.assign(
                    outcome.prospect_id, user_id, origin=Origin.SALESFORCE, actor=RULE_ACTOR
                )
            elif not is_queue_id(owner):  # a queue owns it: crm_owner_id says so
                self.errors.record(
                    outcome.prospect_id,
                    error_code=OWNER_NOT_MAPPED,
                    message=f"Salesforce's lead assignment rule gave the lead to {owner}, "
                    "who is not mapped to an active leadbridge user",
                    crm_object=LEAD,
                    crm_id=outcome.crm_id,
                )
        AssignmentRequestRepository(self.session, self.clock).clear(
            [o.prospect_id for o in requested]
        )

    def _failed(self, outcome: Outcome, summary: PushSummary) -> list[int]:
        """Record the failure; the outbox items to mark done (the rest retry later)."""
        failures = _failures(outcome)
        kind = error_kind(failures[0].code, status=failures[0].status)
        summary.errors[str(kind)] += 1
        for failure in failures:
            self.errors.record(
                outcome.prospect_id,
                error_code=failure.code,
                message=failure.message,
                crm_object=failure.crm_object,
                crm_id=failure.crm_id,
                fields=failure.fields,
            )
        candidate = outcome.candidate
        delay = retry_delay(kind, candidate.attempts)
        if delay is None:
            return list(candidate.item_ids)
        message = f"{failures[0].code}: {failures[0].message}"
        if not candidate.item_ids:  # a manual sync: retry it like any other
            self.outbox.enqueue(PUSH, outcome.prospect_id, "retry: " + message, delay=delay)
        for item_id in candidate.item_ids:
            self.outbox.retry_later(item_id, message, delay)
        return []

    def _warn(self, outcome: Outcome, message: str) -> None:
        assert outcome.plan is not None
        self.errors.record(
            outcome.prospect_id,
            error_code=MULTIPLE_MATCHES,
            message=message,
            crm_object=outcome.plan.object_name,
            crm_id=outcome.crm_id or outcome.plan.crm_id,
        )


def _settled_sends(outcomes: Sequence[Outcome]) -> list[tuple[int, str]]:
    """(prospect, object) of the writes whose outcome is known: succeeded or refused. A write
    whose connection broke after it went out may have been applied: its sent values stay, so
    Salesforce holding them is still recognised as leadbridge's own echo."""
    return [
        (outcome.prospect_id, outcome.plan.object_name)
        for outcome in outcomes
        if outcome.plan is not None
        and not outcome.deferred
        and outcome.skipped is None
        and not (outcome.error is not None and outcome.error.maybe_applied)
    ]


def _failures(outcome: Outcome) -> list[Failure]:
    plan, found, prospect = outcome.plan, outcome.found, outcome.candidate.prospect
    object_name = plan.object_name if plan else (found.match.object_name if found else None)
    linked = prospect.crm_contact_id if object_name == CONTACT else prospect.crm_lead_id
    crm_id = plan.crm_id if plan else linked
    if outcome.error is not None:
        error = outcome.error
        return [
            Failure(
                error.error_code,
                error.message,
                object_name,
                crm_id,
                tuple(error.fields),
                error.status,
            )
        ]
    return [
        Failure(problem.code, problem.message, object_name, crm_id, problem.fields)
        for problem in outcome.problems
    ]


def _count(outcome: Outcome, summary: PushSummary) -> None:
    assert outcome.plan is not None
    assert outcome.found is not None
    summary.pushed += 1
    how = outcome.found.how
    if how == "contact":
        summary.matched_contact += 1
    elif how == "lead":
        summary.matched_lead += 1
    if outcome.plan.creates:
        summary.created += int(outcome.created)
        summary.updated += int(not outcome.created)  # an upsert that found its lead
    elif outcome.plan.values or outcome.plan.auto_assign:
        summary.updated += 1
    else:
        summary.unchanged += 1
