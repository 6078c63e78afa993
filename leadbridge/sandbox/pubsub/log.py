"""The org's change events, kept in its SQLite database for 72 hours of org-clock time.

A replay id is the event's row number as 8 big-endian bytes: ids only grow (AUTOINCREMENT),
so an id from before a reset or an expiry never points at a newer event. Events are written
inside the saving transaction; `committed` then wakes the subscribers waiting on `changed`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

from leadbridge.sandbox.clock import OrgClock
from leadbridge.sandbox.storage import OrgDatabase

RETENTION = timedelta(hours=72)
_PURGE_EVERY_SECONDS = 1.0
_TABLES = """
CREATE TABLE IF NOT EXISTS _cdc_events (
    replay INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    commit_ms INTEGER NOT NULL,
    schema_id TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS _cdc_events_by_entity ON _cdc_events (entity, replay);
CREATE INDEX IF NOT EXISTS _cdc_events_by_time ON _cdc_events (commit_ms);
"""


def replay_bytes(replay: int) -> bytes:
    return replay.to_bytes(8, "big")


def replay_number(replay_id: bytes) -> int | None:
    """The number in a replay id, or None when it is not one of ours."""
    if len(replay_id) != 8:
        return None
    return int.from_bytes(replay_id, "big")


@dataclass(frozen=True)
class StoredEvent:
    replay: int
    schema_id: str
    payload: bytes


class EventLog:
    def __init__(self, db: OrgDatabase, clock: OrgClock) -> None:
        self.db = db
        self.clock = clock
        self.changed = threading.Condition()
        with db.lock:
            db.conn.executescript(_TABLES)
        self._tip = self.last_assigned()
        self._purged_at = 0.0

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def last_assigned(self) -> int:
        """The newest replay number ever given (kept across expiry and reset)."""
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = '_cdc_events'"
            ).fetchone()
        return int(row[0]) if row else 0

    def append(self, events: list[tuple[str, int, str, bytes]]) -> int:
        """Write (entity, commit ms, schema id, payload) rows in the caller's transaction;
        returns the last replay number."""
        with self.db.lock:
            self.db.conn.executemany(
                "INSERT INTO _cdc_events (entity, commit_ms, schema_id, payload) "
                "VALUES (?, ?, ?, ?)",
                events,
            )
            return self.last_assigned()

    def committed(self) -> None:
        """New events are committed: move the tip and wake the subscribers."""
        tip = self.last_assigned()
        with self.changed:
            self._tip = tip
            self.changed.notify_all()

    @property
    def tip(self) -> int:
        """The newest committed replay number (cheap: no query)."""
        return self._tip

    def wake(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def purge(self, *, force: bool = False) -> None:
        """Forget events older than the retention period on the org clock (lazily: at most
        once a second unless forced)."""
        moment = self.clock.now().timestamp()
        if not force and abs(moment - self._purged_at) < _PURGE_EVERY_SECONDS:
            return
        self._purged_at = moment
        cutoff = self.now_ms() - int(RETENTION.total_seconds() * 1000)
        with self.db.lock:
            self.db.conn.execute("DELETE FROM _cdc_events WHERE commit_ms < ?", (cutoff,))

    def read_after(self, cursor: int, entity: str | None, limit: int) -> list[StoredEvent]:
        """Up to `limit` events after `cursor`, of one entity or all, oldest first."""
        self.purge()
        where, params = _where(entity, "replay > ?", cursor)
        with self.db.lock:
            rows = self.db.conn.execute(
                f"SELECT replay, schema_id, payload FROM _cdc_events WHERE {where} "
                "ORDER BY replay LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [StoredEvent(int(row[0]), str(row[1]), bytes(row[2])) for row in rows]

    def newest_up_to(self, cursor: int) -> int | None:
        """The newest retained event at or before `cursor`: a position a client can resume
        from (a CUSTOM replay id, of any topic) without missing anything after `cursor`."""
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT MAX(replay) FROM _cdc_events WHERE replay <= ?", (cursor,)
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def bounds(self, entity: str | None = None) -> tuple[int | None, int | None]:
        """(oldest, newest) retained replay numbers, for one entity or all."""
        self.purge(force=True)
        where, params = ("WHERE entity = ?", (entity,)) if entity else ("", ())
        with self.db.lock:
            row = self.db.conn.execute(
                f"SELECT MIN(replay), MAX(replay) FROM _cdc_events {where}", params
            ).fetchone()
        return (None if row[0] is None else int(row[0]), None if row[1] is None else int(row[1]))

    def count(self) -> int:
        self.purge(force=True)
        with self.db.lock:
            return int(self.db.conn.execute("SELECT COUNT(*) FROM _cdc_events").fetchone()[0])

    def clear(self) -> None:
        with self.db.transaction():
            self.db.conn.execute("DELETE FROM _cdc_events")


def _where(entity: str | None, condition: str, cursor: int) -> tuple[str, tuple[str | int, ...]]:
    if entity is None:
        return condition, (cursor,)
    return f"entity = ? AND {condition}", (entity, cursor)
