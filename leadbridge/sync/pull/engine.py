"""The pull engine: Salesforce changes on connected leads and contacts, by polling.

    summary = PullEngine(db, crm, clock, after_changes=hook).run_once()

Per object (Lead, then Contact) one paged query reads the records whose SystemModstamp is in
the window since the object's cursor (`domain.pull.pull_window`), selecting only what the
pull uses. Windows and cursors are on Salesforce's clock (`CrmClient.server_now()`, from the
replies' Date header), never this machine's: the window ends at Salesforce's now when the
poll began (the next cursor), starts a small overlap before the last cursor, and its query
reaches a few seconds past the end. A clock that moved since the last reply is noticed on the
first reply and the window read again (`_first_page`). With "sync deletes and merges" on the
query is a queryAll that also returns deleted and merged records, so a quiet org costs
exactly one call per object per poll. Records are applied a page at a time, one transaction
per page (`apply.PageApplier`); `after_changes` (automation rules) runs in that
transaction. Re-reading the overlap is harmless: the echo memory makes values already applied
no change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.domain.pull import (
    OVERLAP,
    PULL_CURSOR,
    PULL_HIGH_WATER,
    clock_jump,
    high_water,
    pull_window,
    query_end,
    soql_datetime,
)
from leadbridge.errors import CrmError, CrmLimitError
from leadbridge.ports import Clock, CrmClient, CrmRecord
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.sync.config import PushConfig, load_config
from leadbridge.sync.pull.apply import AfterChanges, PageApplier
from leadbridge.sync.pull.summary import PullSummary

PULL_OBJECTS = (LEAD, CONTACT)  # leads first: a conversion relinks before contacts are read
PAGE_SIZE = 2000
_EXTRA = {
    LEAD: ("IsConverted", "ConvertedContactId", "ConvertedAccountId"),
    CONTACT: ("AccountId",),
}
_ALWAYS = ("SystemModstamp", "LastModifiedDate")
_DELETES = ("IsDeleted", "MasterRecordId")


class PullEngine:
    def __init__(
        self,
        db: Database,
        crm: CrmClient,
        clock: Clock,
        *,
        after_changes: AfterChanges | None = None,
        overlap: timedelta = OVERLAP,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.db = db
        self.crm = crm
        self.clock = clock
        self.after_changes = after_changes
        self.overlap = overlap
        self.page_size = page_size

    def run_once(self, objects: Sequence[str] = PULL_OBJECTS) -> PullSummary:
        """One poll of `objects` (every object by default, leads first); nothing while the
        connector is paused. A worker polls one object per job (leadbridge/workers)."""
        summary = PullSummary()
        with self.db.session(readonly=True) as session:
            config = load_config(session)
        if config.paused:
            summary.paused = True
            return summary
        before = self.crm.usage().api_calls
        poll = _Poll()
        try:
            for object_name in objects:
                self._poll(config, object_name, poll, summary)
        except CrmError as error:  # the cursor stays: the next poll reads the window again
            summary.stopped = _stopped(error)
        finally:
            summary.api_calls = self.crm.usage().api_calls - before
        return summary

    def _poll(
        self, config: PushConfig, object_name: str, poll: _Poll, summary: PullSummary
    ) -> None:
        with self.db.session(readonly=True) as session:
            connector = ConnectorRepository(session)
            cursor = _moment(connector.cursor(object_name, PULL_CURSOR))
            hwm = known = _moment(connector.cursor(object_name, PULL_HIGH_WATER))
        end, records, page = self._first_page(config, object_name, cursor, poll)
        while page:
            hwm = high_water(page, hwm)
            with self.db.session() as session:
                applier = PageApplier(
                    session, self.clock, config, object_name, summary, crm=self.crm
                )
                changed = applier.apply(page)
                if changed and self.after_changes is not None:
                    self.after_changes(session, changed)
            page = list(islice(records, self.page_size))
        with self.db.session() as session:
            connector = ConnectorRepository(session)
            at = self.clock.now()  # our bookkeeping; the values are Salesforce's times
            connector.set_cursor(object_name, PULL_CURSOR, end.isoformat(), at=at)
            if hwm is not None and hwm != known:
                connector.set_cursor(object_name, PULL_HIGH_WATER, hwm.isoformat(), at=at)

    def _first_page(
        self, config: PushConfig, object_name: str, cursor: datetime | None, poll: _Poll
    ) -> tuple[datetime, Iterator[CrmRecord], list[CrmRecord]]:
        """The window's end (the next cursor), its records and their first page.

        The window is computed on the estimate of Salesforce's clock; the first reply tells
        the org's time afresh. When the two disagree by more than `CLOCK_JUMP` (a clock moved
        since the last reply) the window is computed again on the fresh time and read again,
        and every later object of this poll takes the jump into account."""
        end = self.crm.server_now()
        records = self._read(config, object_name, cursor, end, poll.back)
        first = list(islice(records, self.page_size))
        drift = clock_jump(end, self.crm.server_now())
        if not drift:
            return end, records, first
        poll.back = max(poll.back, drift)
        end = self.crm.server_now()
        records = self._read(config, object_name, cursor, end, poll.back)
        return end, records, list(islice(records, self.page_size))

    def _read(
        self,
        config: PushConfig,
        object_name: str,
        cursor: datetime | None,
        end: datetime,
        back: timedelta,
    ) -> Iterator[CrmRecord]:
        start, _ = pull_window(cursor, end, self.overlap, back=back)
        until = query_end(end, back)
        fields = pull_fields(config, object_name)
        obj = config.objects[object_name]
        deletes = config.settings.sync_deletes_and_merges and all(
            obj.field(name) is not None for name in _DELETES
        )
        if not deletes:
            return self.crm.changed(object_name, fields, start, until)
        names = ", ".join(dict.fromkeys([*fields, *_DELETES]))
        soql = (
            f"SELECT {names} FROM {obj.name} "
            f"WHERE SystemModstamp >= {soql_datetime(start)} "
            f"AND SystemModstamp < {soql_datetime(until)} ORDER BY SystemModstamp, Id"
        )
        return self.crm.query(soql, include_deleted=True)


@dataclass
class _Poll:
    """What one poll learns about the clocks: how far Salesforce's clock went back."""

    back: timedelta = timedelta(0)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def pull_fields(config: PushConfig, object_name: str) -> list[str]:
    """Id, Email, OwnerId, the mapped fields and what conversion needs, as the org has them."""
    obj = config.objects[object_name]
    names = dict.fromkeys(config.read_fields(object_name))
    for name in (*_ALWAYS, *_EXTRA[object_name]):
        found = obj.field(name)
        if found is not None:
            names[found.name] = None
    return list(names)


def _stopped(error: CrmError) -> str:
    if isinstance(error, CrmLimitError):
        return f"stopped: the Salesforce API allowance is spent ({error.message})"
    return f"stopped: Salesforce could not be read ({error})"
