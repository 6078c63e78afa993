"""What a confirmed "Send to leadbridge" brought in, kept a day for its results page (the
confirm redirects there, so refreshing the page never sends again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.models import SendToResultRow

KEPT = timedelta(days=1)


class SendToResultRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def save(self, user_id: int, results: list[dict[str, Any]]) -> int:
        """Keep `user_id`'s results (each id's outcome); its id. Results older than a day
        are deleted meanwhile, so the table stays small (the newest row always stays, so an
        old results address never shows newer results)."""
        now = self.clock.now()
        row = SendToResultRow(user_id=user_id, created_at=now, results=results)
        self.session.add(row)
        self.session.flush()  # first, so the newest id stays and is never given again
        self.session.execute(delete(SendToResultRow).where(SendToResultRow.created_at < now - KEPT))
        return row.id

    def get(self, result_id: int, user_id: int) -> list[dict[str, Any]]:
        """The results `user_id` was shown; NotFoundError for anyone else's (or gone)."""
        row = self.session.get(SendToResultRow, result_id)
        if row is None or row.user_id != user_id:
            raise NotFoundError(
                f"no results {result_id}: results are kept a day, for whoever sent them"
            )
        return list(row.results)
