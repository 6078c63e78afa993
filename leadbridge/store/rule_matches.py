"""What automation rules remember: which prospects each rule fired for, and when last.

A rule fires for a prospect only after `claim` succeeds, in the transaction that makes the
rule's changes. The claim is one atomic statement (insert-if-absent, or a conditional
update for repeating rules), so two concurrent runs cannot both fire a once-per-prospect
rule for the same prospect: on PostgreSQL the second waits for the first and then finds
the row; on SQLite writers are serialised anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadbridge.ports import Clock
from leadbridge.store.chunks import key_chunks, one_of
from leadbridge.store.dialect_insert import dialect_insert
from leadbridge.store.models import RuleMatchRow


class RuleMatchRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def last_fired(
        self, rule_ids: Iterable[int], prospect_ids: Iterable[int]
    ) -> dict[tuple[int, int], datetime]:
        """(rule id, prospect id) → when the rule last fired for the prospect."""
        rules = list(rule_ids)
        found: dict[tuple[int, int], datetime] = {}
        if not rules:
            return found
        for chunk in key_chunks(self.session, prospect_ids):
            query = select(
                RuleMatchRow.rule_id, RuleMatchRow.prospect_id, RuleMatchRow.last_fired_at
            ).where(
                RuleMatchRow.rule_id.in_(rules),
                one_of(self.session, RuleMatchRow.prospect_id, chunk),
            )
            for rule_id, prospect_id, at in self.session.execute(query):
                found[(rule_id, prospect_id)] = at
        return found

    def claim(self, rule_id: int, prospect_id: int, *, repeat_after: timedelta | None) -> bool:
        """Record that the rule fires for the prospect now; False when it may not (it fired
        already and does not repeat, or fired less than `repeat_after` ago)."""
        now = self.clock.now()
        insert = _insert_ignoring_duplicates(self.session).values(
            rule_id=rule_id, prospect_id=prospect_id, first_fired_at=now, last_fired_at=now, times=1
        )
        if self._touched(insert.returning(RuleMatchRow.rule_id)):
            return True
        if repeat_after is None:
            return False
        again = (
            update(RuleMatchRow)
            .where(
                RuleMatchRow.rule_id == rule_id,
                RuleMatchRow.prospect_id == prospect_id,
                RuleMatchRow.last_fired_at <= now - repeat_after,
            )
            .values(last_fired_at=now, times=RuleMatchRow.times + 1)
            .returning(RuleMatchRow.rule_id)
        )
        return self._touched(again)

    def _touched(self, statement: Any) -> bool:
        """Whether a statement with RETURNING wrote a row (rowcount is not reliable for an
        INSERT … ON CONFLICT DO NOTHING on every driver; RETURNING is)."""
        return self.session.execute(statement).first() is not None

    def count(self, rule_id: int) -> int:
        """How many prospects the rule has fired for."""
        query = select(func.count()).where(RuleMatchRow.rule_id == rule_id)
        return int(self.session.scalar(query) or 0)


def _insert_ignoring_duplicates(session: Session) -> Any:
    """INSERT … ON CONFLICT (rule_id, prospect_id) DO NOTHING, in the session's dialect."""
    return dialect_insert(session, RuleMatchRow).on_conflict_do_nothing(
        index_elements=["rule_id", "prospect_id"]
    )
