"""Applying a batch of change events with the pull's rules, in one transaction with the stream's
new position.

Events for Lead and Contact are folded per record in stream order (`fold`): an update carries
only its changed fields, so a record's updates add up; a delete ends it, an undelete brings it
back. The folded records go through the pull's `PageApplier` exactly as a polled page does
(field behaviours, echo memory, email setting, owners, conversion, deletes, undeletes, merges),
then new records through the intake when "automatically create prospects" is on. The replay id
after the batch is written in the same transaction: a crash before the commit replays the batch,
a crash after it never applies it again.

Salesforce is read (REST) only where an event cannot say enough: a gap event's records, and
whether a deleted record was merged (a merge sends a plain delete; the record's MasterRecordId
tells). A `GAP_OVERFLOW` names no record: the pull's cursor of its object is set back to the
event's time in the same transaction and the runner polls that window (`catch_up_due`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.domain.pull import OVERLAP, PULL_CURSOR, soql_datetime
from leadbridge.ports import (
    CREATE,
    DELETE,
    GAP_OVERFLOW,
    UNDELETE,
    ChangeBatch,
    ChangeEvent,
    Clock,
    CrmClient,
    CrmRecord,
)
from leadbridge.store.change_streams import ChangeStreamRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.prospects import ProspectRepository
from leadbridge.sync.config import PushConfig, load_config
from leadbridge.sync.intake import IntakeSummary
from leadbridge.sync.intake.apply import Source
from leadbridge.sync.intake.engine import take_new_records
from leadbridge.sync.pull.apply import AfterChanges, PageApplier
from leadbridge.sync.pull.engine import PULL_OBJECTS, pull_fields
from leadbridge.sync.pull.summary import PullSummary

CATCH_UP = "stream_catch_up"  # sync cursor kind: a window the stream could not cover
# Set when the stream brought a change to another object: the mirrors are read again.
MIRRORS_CHANGED = ("Mirrors", "changed")
_IDS_PER_QUERY = 200


@dataclass
class StreamSummary:
    events: int = 0
    gaps: int = 0
    overflows: int = 0
    created: int = 0
    pull: PullSummary = field(default_factory=PullSummary)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pull": self.pull.as_dict()}


@dataclass
class Folded:
    """A batch's records per object, as the pull would have read them, in stream order."""

    records: dict[str, dict[str, CrmRecord]] = field(default_factory=dict)
    created: dict[str, set[str]] = field(default_factory=dict)
    gaps: dict[str, set[str]] = field(default_factory=dict)
    overflows: dict[str, datetime] = field(default_factory=dict)

    def of(self, object_name: str) -> dict[str, CrmRecord]:
        return self.records.setdefault(object_name, {})


def fold(events: Iterable[ChangeEvent]) -> Folded:
    """The records a batch of Lead and Contact events leaves, one per record."""
    folded = Folded()
    for event in events:
        name = event.object_name
        if name not in PULL_OBJECTS:
            continue
        if event.change_type == GAP_OVERFLOW:
            first = folded.overflows.get(name)
            folded.overflows[name] = min(first, event.committed_at) if first else event.committed_at
            continue
        if event.gap:
            folded.gaps.setdefault(name, set()).update(event.record_ids)
            continue
        for record_id in event.record_ids:
            _fold_one(folded, name, record_id, event)
    return folded


def _fold_one(folded: Folded, name: str, record_id: str, event: ChangeEvent) -> None:
    record = folded.of(name).setdefault(record_id, {"Id": record_id})
    if event.change_type == DELETE:
        record.clear()
        record.update(Id=record_id, IsDeleted=True)
        return
    if event.change_type in (CREATE, UNDELETE):
        record["IsDeleted"] = False
        if event.change_type == CREATE:
            folded.created.setdefault(name, set()).add(record_id)
    record.update(event.values)
    record["Id"] = record_id


class StreamApplier:
    def __init__(
        self,
        db: Database,
        crm: CrmClient,
        clock: Clock,
        *,
        after_changes: AfterChanges | None = None,
        renew: Callable[[Any], object] | None = None,
    ) -> None:
        self.db = db
        self.crm = crm
        self.clock = clock
        self.after_changes = after_changes
        self.renew = renew  # the runner's lease, renewed in each batch's transaction

    def apply(self, batch: ChangeBatch) -> StreamSummary:
        summary = StreamSummary(events=len(batch.events))
        with self.db.session(readonly=True) as session:
            config = load_config(session)
        folded = fold(batch.events)
        summary.gaps = sum(len(ids) for ids in folded.gaps.values())
        summary.overflows = len(folded.overflows)
        self._read_what_events_do_not_say(config, folded)
        committed = max((e.committed_at for e in batch.events), default=None)
        with self.db.session() as session:
            if self.renew is not None:
                self.renew(session)
            for object_name in PULL_OBJECTS:  # leads first: a conversion relinks
                page = list(folded.of(object_name).values())
                if not page:
                    continue
                applier = PageApplier(
                    session, self.clock, config, object_name, summary.pull, crm=self.crm
                )
                changed = applier.apply(page)
                if changed and self.after_changes is not None:
                    self.after_changes(session, changed)
            summary.created = self._new_records(session, config, folded)
            streams = ChangeStreamRepository(session, self.clock)
            streams.advance(batch.replay_id, committed_at=committed, applied=len(batch.events))
            connector = ConnectorRepository(session)
            self._move_cursors(connector, folded, committed)
            if any(e.object_name not in PULL_OBJECTS for e in batch.events):
                connector.set_cursor(*MIRRORS_CHANGED, self.clock.now().isoformat())
        return summary

    def _read_what_events_do_not_say(self, config: PushConfig, folded: Folded) -> None:
        """Gap events' records (read whole), and whether deleted records were merged."""
        merges = config.settings.sync_deletes_and_merges
        for object_name in PULL_OBJECTS:
            records = folded.of(object_name)
            deleted = [i for i, r in records.items() if r.get("IsDeleted")] if merges else []
            deleted = self._linked(deleted)
            for row in self._read(object_name, ["Id", "IsDeleted", "MasterRecordId"], deleted):
                records[str(row["Id"])].update(MasterRecordId=row.get("MasterRecordId"))
            gaps = sorted(folded.gaps.get(object_name, ()))
            names = [*pull_fields(config, object_name), "IsDeleted", "MasterRecordId"]
            for row in self._read(object_name, list(dict.fromkeys(names)), gaps):
                records[str(row["Id"])] = row  # read now: newer than any event of the batch

    def _linked(self, ids: Sequence[str]) -> list[str]:
        if not ids:
            return []
        with self.db.session(readonly=True) as session:
            return list(ProspectRepository(session, self.clock).by_crm_ids(ids))

    def _read(self, object_name: str, names: list[str], ids: Sequence[str]) -> list[CrmRecord]:
        found: list[CrmRecord] = []
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ", ".join(f"'{i}'" for i in ids[start : start + _IDS_PER_QUERY] if i.isalnum())
            if chunk:
                soql = f"SELECT {', '.join(names)} FROM {object_name} WHERE Id IN ({chunk})"
                found.extend(self.crm.query(soql, include_deleted=True))
        return found

    def _new_records(self, session: Any, config: PushConfig, folded: Folded) -> int:
        """Records created in Salesforce become prospects when auto-create is on."""
        if not config.settings.auto_create_prospects:
            return 0
        found = [
            Source(object_name, record)
            for object_name in (CONTACT, LEAD)
            for record_id, record in folded.of(object_name).items()
            if record_id in folded.created.get(object_name, ())
            and record.get("Email")
            and not record.get("IsDeleted")
            and not record.get("IsConverted")
        ]
        if not found:
            return 0
        intake = IntakeSummary()
        take_new_records(session, self.crm, self.clock, config, found, intake)
        if self.after_changes is not None and intake.prospect_ids():
            self.after_changes(session, intake.prospect_ids())
        return len(intake.prospect_ids())

    def _move_cursors(
        self, connector: ConnectorRepository, folded: Folded, committed: datetime | None
    ) -> None:
        """The pull's cursors follow the stream (a fallback to polling starts where it
        stopped); an overflow sets its object's back and records the window to poll."""
        at = self.clock.now()
        for object_name in PULL_OBJECTS:
            cursor = connector.cursor(object_name, PULL_CURSOR)
            known = datetime.fromisoformat(cursor) if cursor else None
            overflow = folded.overflows.get(object_name)
            if overflow is not None:
                since = overflow - OVERLAP
                if known is None or since < known:
                    connector.set_cursor(object_name, PULL_CURSOR, since.isoformat(), at=at)
                connector.set_cursor(object_name, CATCH_UP, soql_datetime(since), at=at)
            elif committed is not None and (known is None or committed > known):
                connector.set_cursor(object_name, PULL_CURSOR, committed.isoformat(), at=at)
