"""Prospects to be pushed with Salesforce's active lead assignment rule on.

`request` writes the mark and a "push" outbox item in the caller's transaction (the action's),
so the request is never lost nor done without its cause. The push reads the marks of a wave
(`pending`, one query per chunk) and deletes them (`clear`) in the transaction that records
the owner Salesforce picked: a crash between the write and that commit leaves the mark, and
the next push sends the lead again with the rule on (the rule picks the same owner).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadbridge.ports import Clock
from leadbridge.store.chunks import chunked, one_of
from leadbridge.store.dialect_insert import dialect_insert
from leadbridge.store.models import CrmAssignmentRequestRow
from leadbridge.store.outbox import PUSH, OutboxRepository

TABLE = CrmAssignmentRequestRow.__table__


class AssignmentRequestRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def request(self, prospect_id: int, *, actor: str | None) -> None:
        """Mark the prospect (once) and queue its push."""
        statement = dialect_insert(self.session, TABLE).values(
            prospect_id=prospect_id, requested_at=self.clock.now(), requested_by=actor
        )
        self.session.execute(statement.on_conflict_do_nothing(index_elements=["prospect_id"]))
        reason = "assign with Salesforce's lead assignment rule"
        if actor:
            reason += f", requested by {actor}"
        OutboxRepository(self.session, self.clock).enqueue(PUSH, prospect_id, reason)

    def pending(self, prospect_ids: Sequence[int]) -> set[int]:
        """The prospects among these that are marked."""
        found: set[int] = set()
        column = CrmAssignmentRequestRow.prospect_id
        for chunk in chunked(list(dict.fromkeys(prospect_ids))):
            found.update(
                self.session.scalars(select(column).where(one_of(self.session, column, chunk)))
            )
        return found

    def clear(self, prospect_ids: Sequence[int]) -> None:
        column = CrmAssignmentRequestRow.prospect_id
        for chunk in chunked(list(dict.fromkeys(prospect_ids))):
            self.session.execute(
                delete(CrmAssignmentRequestRow).where(one_of(self.session, column, chunk))
            )
