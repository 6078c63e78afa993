"""Changes to many prospects gathered in memory, then written with a few statements.

`ProspectChanges` records what `ProspectRepository.update` and `.assign` would write for
each change — the new column values, one audit row per field that really changes, a "push"
outbox item when the prospect is syncable — and returns the prospect as it is after, so the
next change (a completion action after the form's own values) sees it. `write` then sends
the column values (one executemany per set of columns), the audit rows and the outbox items
(one multi-row INSERT each, in the order they were made). Only a prospect's own columns are
handled here (no custom field, no marketing campaign, never the email): the caller checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from leadbridge.domain.fields import Origin
from leadbridge.store.chunks import chunked
from leadbridge.store.copy_rows import copy_rows
from leadbridge.store.models import LIVE, AuditRow, OutboxRow, ProspectRow
from leadbridge.store.outbox import MAX_REASON, PUSH
from leadbridge.store.prospect import Prospect, with_values
from leadbridge.store.prospect_batches import prospects_by_ids
from leadbridge.store.values import to_text

PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]
AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]


@dataclass
class ProspectChanges:
    now: datetime
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)  # prospect → new values
    audit: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)

    def update(
        self, before: Prospect, checked: Mapping[str, Any], *, origin: Origin, actor: str | None
    ) -> Prospect:
        """`ProspectRepository.update` with values `FieldCatalog.check` returned."""
        changed = {name: value for name, value in checked.items() if before.value(name) != value}
        if not changed:
            return before
        for name, value in changed.items():
            self._audit(before.id, name, before.value(name), value, origin, actor)
        self.columns.setdefault(before.id, {}).update(changed, updated_at=self.now)
        after = with_values(before, **changed, updated_at=self.now)
        if after.syncable and origin is not Origin.SALESFORCE:
            self.push(before.id, "changed: " + ", ".join(sorted(changed)))
        return after

    def assign(
        self, before: Prospect, user_id: int, *, origin: Origin, actor: str | None
    ) -> Prospect:
        """`ProspectRepository.assign(only_if_unassigned=True)` to an active user."""
        if before.assigned_user_id is not None:
            return before
        self._audit(before.id, "assigned_user_id", None, user_id, origin, actor)
        self.columns.setdefault(before.id, {}).update(assigned_user_id=user_id, updated_at=self.now)
        after = with_values(before, assigned_user_id=user_id, updated_at=self.now)
        if after.syncable:
            self.push(before.id, "assigned")
        return after

    def push(self, prospect_id: int, reason: str) -> None:
        self.outbox.append(
            {
                "kind": PUSH,
                "prospect_id": prospect_id,
                "reason": reason[:MAX_REASON],
                "created_at": self.now,
                "attempts": 0,
                "available_at": self.now,
            }
        )

    def _audit(
        self, prospect_id: int, name: str, old: Any, new: Any, origin: Origin, actor: str | None
    ) -> None:
        self.audit.append(
            {
                "prospect_id": prospect_id,
                "field": name,
                "old_value": to_text(old),
                "new_value": to_text(new),
                "at": self.now,
                "origin": Origin(origin),
                "actor": actor,
            }
        )

    def write(self, session: Session) -> None:
        """Send everything recorded, in this transaction."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for prospect_id, values in self.columns.items():
            by_columns.setdefault(tuple(sorted(values)), []).append({"_id": prospect_id, **values})
        connection = session.connection()
        for names, rows in by_columns.items():
            statement = (
                update(PROSPECTS)
                .where(PROSPECTS.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in names})
            )
            connection.execute(statement, rows)
        copy_rows(session, AUDIT, self.audit)
        copy_rows(session, OUTBOX, self.outbox)


def locked_live_by_email_keys(session: Session, keys: Iterable[str]) -> dict[str, Prospect]:
    """The live prospects with these email keys, their rows locked until the transaction
    ends (taken in id order, so overlapping batches cannot deadlock), by email key."""
    ids: list[int] = []
    for chunk in chunked(sorted(set(keys))):
        query = select(ProspectRow.id).where(ProspectRow.email_key.in_(chunk), LIVE)
        if session.get_bind().dialect.name != "sqlite":
            query = query.order_by(ProspectRow.id).with_for_update()
        ids.extend(session.scalars(query))
    return {prospect.email_key: prospect for prospect in prospects_by_ids(session, ids)}
