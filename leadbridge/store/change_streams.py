"""The change stream's state (`change_streams`): its position and how changes arrive.

The replay id of the last applied event is written by `advance` in the transaction that
applied the event, so a restart resumes exactly after it: nothing lost, nothing applied twice.
The mode ("stream" or "polling") and its reason are what `connector show`, the console and
`why` say about how Salesforce's changes reach leadbridge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadbridge.ports import CHANGE_EVENTS_TOPIC, Clock
from leadbridge.store.models import ChangeStreamRow

TOPIC = CHANGE_EVENTS_TOPIC
STREAM = "stream"
POLLING = "polling"


@dataclass(frozen=True)
class StreamState:
    topic: str = TOPIC
    replay_id: bytes | None = None
    committed_at: datetime | None = None  # Salesforce's clock: the last applied event's commit
    mode: str = POLLING
    reason: str = "the change stream has not started"
    mode_since: datetime | None = None
    heartbeat_at: datetime | None = None
    events_applied: int = 0
    selected: frozenset[str] | None = None  # None: verify has not looked yet

    @property
    def streaming(self) -> bool:
        return self.mode == STREAM

    def sentence(self, poll_seconds: int) -> str:
        """How Salesforce's changes reach leadbridge, in plain words."""
        if self.streaming:
            since = f" since {self.mode_since:%Y-%m-%d %H:%M} UTC" if self.mode_since else ""
            return f"as they happen, by Change Data Capture{since}"
        because = f": {self.reason}" if self.reason else ""
        return f"by polling every {poll_seconds:,} seconds{because}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "reason": self.reason,
            "since": self.mode_since.isoformat() if self.mode_since else None,
            "topic": self.topic,
            "replay_id": self.replay_id.hex() if self.replay_id else None,
            "last_event_committed_at": (
                self.committed_at.isoformat() if self.committed_at else None
            ),
            "last_heard_at": self.heartbeat_at.isoformat() if self.heartbeat_at else None,
            "events_applied": self.events_applied,
            "selected_objects": sorted(self.selected) if self.selected is not None else None,
        }


class ChangeStreamRepository:
    def __init__(self, session: Any, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def get(self, topic: str = TOPIC) -> StreamState:
        row = self.session.get(ChangeStreamRow, topic)
        if row is None:
            return StreamState(topic)
        return StreamState(
            topic=row.topic,
            replay_id=row.replay_id,
            committed_at=row.committed_at,
            mode=row.mode,
            reason=row.reason,
            mode_since=row.mode_since,
            heartbeat_at=row.heartbeat_at,
            events_applied=row.events_applied,
            selected=None
            if row.selected is None
            else frozenset(filter(None, row.selected.split(","))),
        )

    def advance(
        self,
        replay_id: bytes,
        *,
        committed_at: datetime | None = None,
        applied: int = 0,
        topic: str = TOPIC,
    ) -> None:
        """The stream's new position, in the transaction that applied what came before it."""
        row = self._row(topic)
        row.replay_id = replay_id
        if committed_at is not None and (
            row.committed_at is None or committed_at > row.committed_at
        ):
            row.committed_at = committed_at
        row.events_applied = (row.events_applied or 0) + applied
        row.heartbeat_at = row.updated_at = self.clock.now()

    def set_mode(self, mode: str, reason: str, *, topic: str = TOPIC) -> bool:
        """Record how changes arrive; True when the mode changed."""
        row = self._row(topic)
        changed = row.mode != mode
        if changed or row.mode_since is None:
            row.mode_since = self.clock.now()
        row.mode, row.reason = mode, reason
        row.updated_at = self.clock.now()
        return changed

    def set_selected(self, objects: Iterable[str], *, topic: str = TOPIC) -> None:
        self._row(topic).selected = ",".join(sorted(set(objects)))

    def forget_position(self, *, topic: str = TOPIC) -> None:
        """After Salesforce refused the stored replay id (past its 72-hour retention)."""
        self._row(topic).replay_id = None

    def _row(self, topic: str) -> ChangeStreamRow:
        row: ChangeStreamRow | None = self.session.get(ChangeStreamRow, topic)
        if row is None:
            row = ChangeStreamRow(topic=topic, mode=POLLING, reason="", events_applied=0)
            self.session.add(row)
        return row
