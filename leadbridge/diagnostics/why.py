"""`why`: gathers the facts about one prospect and lets `domain.why` explain them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.diagnostics import queries
from leadbridge.diagnostics.campaigns import effect_of, has_pending_request
from leadbridge.diagnostics.kinds import ADVICE, kind_of, retries_automatically
from leadbridge.domain.ids import row_id
from leadbridge.domain.why import (
    AssignedUser,
    ConnectorState,
    ErrorEffect,
    Explanation,
    OpenError,
    PendingPush,
    ProspectFacts,
    explain,
)
from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.assignment_requests import AssignmentRequestRepository
from leadbridge.store.change_streams import ChangeStreamRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.queues import queue_name
from leadbridge.store.users import UserRepository


@dataclass(frozen=True)
class WhyReport:
    facts: ProspectFacts
    explanation: Explanation

    @property
    def found(self) -> bool:
        return self.facts.prospect_id is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "asked_for": self.facts.asked_for,
            "prospect_id": self.facts.prospect_id,
            "email": self.facts.email,
            "verdict": str(self.explanation.verdict),
            "reasons": [
                {
                    "code": reason.code,
                    "severity": str(reason.severity),
                    "message": reason.message,
                    "action": reason.action,
                }
                for reason in self.explanation.reasons
            ],
        }


class WhyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def explain(self, key: str) -> WhyReport:
        """Why the prospect with this email (or id) is, or is not, syncing."""
        with self.db.session(readonly=True) as session:
            facts = self.facts(session, key)
        return WhyReport(facts, explain(facts))

    def facts(self, session: Session, key: str) -> ProspectFacts:
        prospect = self._find(session, key.strip())
        if prospect is None:
            return ProspectFacts(asked_for=key.strip())
        pending = _pending(session, prospect.id)
        return ProspectFacts(
            asked_for=key.strip(),
            prospect_id=prospect.id,
            email=prospect.email,
            recycled=prospect.recycled,
            deleted_in_crm=prospect.deleted_in_crm,
            do_not_sync=prospect.do_not_sync,
            assigned_user=_assigned_user(session, prospect),
            connector=_connector_state(session),
            errors=_open_errors(session, self.clock, prospect.id, push_queued=pending is not None),
            pending=pending,
            crm_lead_id=prospect.crm_lead_id,
            crm_contact_id=prospect.crm_contact_id,
            last_pushed_at=prospect.last_crm_sync_at,
            owner_queue=queue_name(session, prospect.crm_owner_id),
            rule_assignment=bool(
                AssignmentRequestRepository(session, self.clock).pending([prospect.id])
            ),
            changes_arrive=_changes_arrive(session, self.clock),
        )

    def _find(self, session: Session, key: str) -> Prospect | None:
        """By id (live or recycled), else the live prospect with the email, else the most
        recent one in the recycle bin."""
        repo = ProspectRepository(session, self.clock)
        try:
            number = row_id(key, "prospect")
            if number is not None:
                return repo.get(number)
        except NotFoundError:
            return None
        live = repo.by_email(key)
        if live is not None:
            return live
        recycled = queries.recycled_prospect_id(session, key)
        return None if recycled is None else repo.get(recycled)


def _assigned_user(session: Session, prospect: Prospect) -> AssignedUser | None:
    if prospect.assigned_user_id is None:
        return None
    user = UserRepository(session).get(prospect.assigned_user_id)
    return AssignedUser(user.email, user.crm_username)


def _changes_arrive(session: Session, clock: Clock) -> str:
    poll = ConnectorRepository(session).settings().poll_interval_seconds
    return ChangeStreamRepository(session, clock).get().sentence(poll)


def _connector_state(session: Session) -> ConnectorState:
    config = ConnectorRepository(session).get()
    if config is None:
        return ConnectorState.MISSING
    return ConnectorState.PAUSED if config.paused else ConnectorState.ACTIVE


def _open_errors(
    session: Session, clock: Clock, prospect_id: int, *, push_queued: bool
) -> tuple[OpenError, ...]:
    found = []
    for error in queries.open_errors_of(session, prospect_id):
        kind, effect = kind_of(error.error_code), effect_of(error)
        queued = (
            has_pending_request(session, clock, prospect_id)
            if effect is ErrorEffect.CAMPAIGN
            else push_queued
        )
        found.append(
            OpenError(
                id=error.id,
                code=error.error_code,
                message=error.message,
                fields=error.fields,
                crm_object=error.crm_object,
                effect=effect,
                retries_automatically=retries_automatically(kind),
                retry_queued=queued,
                advice=ADVICE[kind],
            )
        )
    return tuple(found)


def _pending(session: Session, prospect_id: int) -> PendingPush | None:
    items = queries.pending_pushes(session, [prospect_id]).get(prospect_id)
    if not items:
        return None
    tried = max(items, key=lambda item: item.attempts)
    return PendingPush(
        queued_since=min(item.created_at for item in items),
        next_attempt_at=items[0].available_at,
        attempts=tried.attempts,
        last_error=tried.last_error,
    )
