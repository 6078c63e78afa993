"""Automation rules as stored: name, criteria and actions (their JSON forms), state.

The JSON is checked by `leadbridge.automation` before it gets here; this module keeps rules
and hands out snapshots.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.models import AutomationRuleRow

MAX_RULE_NAME = 255


@dataclass(frozen=True)
class AutomationRule:
    id: int
    name: str
    match: str  # "all" or "any"
    criteria: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    active: bool
    repeat_after_days: int | None  # None: once per prospect
    created_at: datetime
    updated_at: datetime

    @property
    def once(self) -> bool:
        return self.repeat_after_days is None


def _snapshot(row: AutomationRuleRow) -> AutomationRule:
    return AutomationRule(
        id=row.id,
        name=row.name,
        match=row.match,
        criteria=list(row.criteria),
        actions=list(row.actions),
        active=row.active,
        repeat_after_days=row.repeat_after_days,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def clean_name(name: str, *, what: str = "name") -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_RULE_NAME:
        raise InputError(f"a {what} is 1 to {MAX_RULE_NAME} characters", item="name")
    return clean


class AutomationRuleRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(
        self,
        name: str,
        *,
        match: str,
        criteria: list[dict[str, Any]],
        actions: list[dict[str, Any]],
        active: bool,
        repeat_after_days: int | None,
    ) -> AutomationRule:
        clean = clean_name(name, what="rule name")
        if self.by_name(clean) is not None:
            raise ConflictError(f"a rule named {clean!r} already exists")
        now = self.clock.now()
        row = AutomationRuleRow(
            name=clean,
            match=match,
            criteria=criteria,
            actions=actions,
            active=active,
            repeat_after_days=repeat_after_days,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def get(self, rule_id: int) -> AutomationRule:
        return _snapshot(self._row(rule_id))

    def by_name(self, name: str) -> AutomationRule | None:
        row = self.session.scalar(
            select(AutomationRuleRow).where(AutomationRuleRow.name == " ".join(name.split()))
        )
        return None if row is None else _snapshot(row)

    def list(self, *, active_only: bool = False) -> builtins.list[AutomationRule]:
        """Rules in the order they run (by id)."""
        query = select(AutomationRuleRow).order_by(AutomationRuleRow.id)
        if active_only:
            query = query.where(AutomationRuleRow.active.is_(True))
        return [_snapshot(row) for row in self.session.scalars(query)]

    def set_active(self, rule_id: int, active: bool) -> AutomationRule:
        row = self._row(rule_id)
        if row.active != active:
            row.active, row.updated_at = active, self.clock.now()
            self.session.flush()
        return _snapshot(row)

    def update(
        self,
        rule_id: int,
        *,
        name: str,
        match: str,
        criteria: builtins.list[dict[str, Any]],
        actions: builtins.list[dict[str, Any]],
        repeat_after_days: int | None,
    ) -> AutomationRule:
        """Change a rule's definition (its state and whom it fired for stay)."""
        row = self._row(rule_id)
        clean = clean_name(name, what="rule name")
        other = self.by_name(clean)
        if other is not None and other.id != rule_id:
            raise ConflictError(f"a rule named {clean!r} already exists")
        row.name, row.match, row.criteria, row.actions = clean, match, criteria, actions
        row.repeat_after_days = repeat_after_days
        row.updated_at = self.clock.now()
        self.session.flush()
        return _snapshot(row)

    def delete(self, rule_id: int) -> None:
        """Remove a rule and what it remembers (the changes it made stay audited)."""
        self.session.delete(self._row(rule_id))
        self.session.flush()

    def _row(self, rule_id: int) -> AutomationRuleRow:
        row = self.session.get(AutomationRuleRow, rule_id)
        if row is None:
            raise NotFoundError(f"no automation rule with id {rule_id}")
        return row
