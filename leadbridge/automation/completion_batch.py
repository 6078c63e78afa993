"""A form handler's completion actions for many posts, planned in memory (the batch apply).

The same decisions as `ActionRunner` makes for one post (automation/actions.py) — plan the
actions on the prospect as the post left it, check the field changes, assign only an
unassigned prospect, ask for a push — recorded into `ProspectChanges`, written with the
batch. As there, when a change is refused (a value the field no longer accepts) none of
that post's actions is carried out, the failure is logged, and the post is still applied.

Only the common actions are handled (`set_based.actions_supported`): a handler with a
Salesforce assignment rule or campaign, a marketing campaign, or a custom field or the email
in its actions has its posts applied one by one.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.domain.automation import (
    Action,
    AssignGroup,
    AssignUser,
    describe_action,
    parse_actions,
    plan_actions,
)
from leadbridge.domain.fields import Origin
from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.forms import FormHandler
from leadbridge.store.groups import UserGroupRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_changes import ProspectChanges
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.users import UserRepository

logger = logging.getLogger("leadbridge.automation.submissions")


class CompletionBatch:
    def __init__(self, session: Session, clock: Clock, catalog: FieldCatalog) -> None:
        self.session = session
        self.clock = clock
        self.catalog = catalog
        self._actions: dict[int, tuple[Action, ...]] = {}
        self._users: dict[str, Any] = {}

    def actions(self, handler: FormHandler) -> tuple[Action, ...]:
        if handler.id not in self._actions:
            self._actions[handler.id] = tuple(parse_actions(handler.actions))
        return self._actions[handler.id]

    def run(self, handler: FormHandler, prospect: Prospect, changes: ProspectChanges) -> Prospect:
        """The prospect after the handler's actions, their writes added to `changes`."""
        actions = self.actions(handler)
        if not actions:
            return prospect
        actor = f"form handler {handler.name}"
        plan = plan_actions(actions, prospect)
        after = prospect
        if plan.changes:
            try:
                checked = self.catalog.check(plan.changes, origin=Origin.FORM)
            except LeadbridgeError:
                logger.warning(
                    "completion actions failed",
                    extra={"action": "completion_actions_failed", "handler_id": handler.id},
                )
                return prospect
            after = changes.update(after, checked, origin=Origin.FORM, actor=actor)
        for assignment in plan.assignments:
            user_id = self._assignee(assignment)
            if user_id is not None:
                after = changes.assign(after, user_id, origin=Origin.FORM, actor=actor)
                break
        if plan.sync:
            changes.push(prospect.id, f"sync with CRM requested by {actor}")
        return after

    def _assignee(self, assignment: Action) -> int | None:
        """The active user to assign to (a group's turn is spent), None when there is none."""
        match assignment:
            case AssignUser(email):
                if email not in self._users:
                    user = UserRepository(self.session).by_email(email)
                    self._users[email] = user.id if user is not None and user.active else None
                found = self._users[email]
                return found if isinstance(found, int) else None
            case AssignGroup(name):
                groups = UserGroupRepository(self.session, self.clock)
                group = groups.by_name(name)
                member = None if group is None else groups.take_turn(group.id)
                return None if member is None else member.user_id
        raise AssertionError(f"not handled here: {describe_action(assignment)}")
