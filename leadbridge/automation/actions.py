"""Carrying out actions on one prospect: plan them (pure), then make the changes, all audited
with one origin and actor, in the caller's transaction.

The prospect's row is locked before planning, so "assign only if unassigned" holds even when
a form post and a rule run touch the same prospect at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadbridge.automation import campaigns
from leadbridge.domain.automation import (
    Action,
    AssignBySalesforceRule,
    AssignGroup,
    AssignUser,
    describe_action,
    plan_actions,
)
from leadbridge.domain.fields import Origin
from leadbridge.ports import Clock
from leadbridge.store.assignment_requests import AssignmentRequestRepository
from leadbridge.store.groups import UserGroupRepository
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_locks import lock_prospect
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.users import UserRepository


@dataclass(frozen=True)
class ActionOutcome:
    prospect: Prospect  # as it is after the actions
    done: tuple[str, ...]  # what changed, in plain words
    skipped: tuple[str, ...]  # actions that did nothing, and why


class ActionRunner:
    """Runs actions as `actor` (a rule's name, "form handler …") from `origin`."""

    def __init__(self, session: Session, clock: Clock, *, origin: Origin, actor: str) -> None:
        self.session = session
        self.clock = clock
        self.origin = origin
        self.actor = actor
        self._prospects = ProspectRepository(session, clock)

    def run(self, prospect_id: int, actions: Sequence[Action]) -> ActionOutcome:
        lock_prospect(self.session, prospect_id)
        prospect = self._prospects.get(prospect_id)
        plan = plan_actions(actions, prospect)
        done: list[str] = []
        skipped = list(plan.skipped)
        if plan.changes:
            prospect = self._prospects.update(
                prospect.id, plan.changes, origin=self.origin, actor=self.actor
            )
            done.append("changed " + ", ".join(sorted(plan.changes)))
        for index, assignment in enumerate(plan.assignments):
            if isinstance(assignment, AssignBySalesforceRule):
                AssignmentRequestRepository(self.session, self.clock).request(
                    prospect.id, actor=self.actor
                )
                done.append("assignment by Salesforce's lead assignment rule requested")
            else:
                assignee = self._assignee(assignment, skipped)
                if assignee is None:
                    continue
                user_id, email = assignee
                prospect = self._prospects.assign(
                    prospect.id,
                    user_id,
                    origin=self.origin,
                    actor=self.actor,
                    only_if_unassigned=True,
                )
                done.append(f"assigned to {email} ({describe_action(assignment)})")
            skipped.extend(
                f"{describe_action(later)}: assigned by an earlier action"
                for later in plan.assignments[index + 1 :]
            )
            break
        for request in plan.crm_campaigns:
            campaigns.request_crm_campaign(
                self.session, self.clock, prospect.id, request.campaign_id, request.status
            )
            done.append(describe_action(request))
        if plan.sync:
            OutboxRepository(self.session, self.clock).enqueue(
                PUSH, prospect.id, f"sync with CRM requested by {self.actor}"
            )
            done.append("sync with Salesforce requested")
        return ActionOutcome(prospect, tuple(done), tuple(skipped))

    def _assignee(
        self, assignment: AssignUser | AssignGroup, skipped: list[str]
    ) -> tuple[int, str] | None:
        """The user (id, email) to assign to, or None with the reason added to `skipped`.

        A group's turn is spent here, so call it only when the prospect will be assigned."""
        match assignment:
            case AssignUser(email):
                user = UserRepository(self.session).by_email(email)
                if user is None or not user.active:
                    reason = "no such user" if user is None else "the user is inactive"
                    skipped.append(f"{describe_action(assignment)}: {reason}")
                    return None
                return user.id, user.email
            case AssignGroup(name):
                groups = UserGroupRepository(self.session, self.clock)
                group = groups.by_name(name)
                member = None if group is None else groups.take_turn(group.id)
                if member is None:
                    reason = "no such group" if group is None else "the group has no active member"
                    skipped.append(f"{describe_action(assignment)}: {reason}")
                    return None
                return member.user_id, member.email
