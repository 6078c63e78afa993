"""What the sync knows per prospect beyond its fields: its upsert key, and per Salesforce
record the values both sides last agreed on (the echo-suppression memory).

Agreed values are kept per (prospect, object) as one JSON map, API name → value in
`leadbridge.domain.crm_values.crm_value` form; `remember` merges into it. The values a push
is about to send are kept beside them (`record_sent`, committed before sending; `clear_sent`
once the outcome is recorded): after a crash between Salesforce applying a push and
leadbridge recording it, they are what tells leadbridge's own echo from a Salesforce change.
Everything here works on many prospects at a time, in chunked IN queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from leadbridge.ports import Clock
from leadbridge.store.bulk_rows import insert_rows
from leadbridge.store.chunks import chunked, key_chunks, one_of
from leadbridge.store.models import (
    AuditRow,
    CrmSentValuesRow,
    CrmSyncStateRow,
    OutboxRow,
    ProspectCrmKeyRow,
    ProspectRow,
    SyncErrorRow,
)
from leadbridge.store.outbox import ITEM_COLUMNS, PUSH, OutboxItem, outbox_snapshot
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_loading import load_by
from leadbridge.store.types import UtcDateTime

KEY_PREFIX = "lb-"
STATE: Table = CrmSyncStateRow.__table__  # type: ignore[assignment]
KEYS: Table = ProspectCrmKeyRow.__table__  # type: ignore[assignment]
SENT: Table = CrmSentValuesRow.__table__  # type: ignore[assignment]
PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Agreed:
    """One Salesforce record's agreed values, to merge into the sync state."""

    prospect_id: int
    crm_object: str  # "Lead" or "Contact"
    crm_id: str | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Link:
    """The Salesforce records a prospect is linked to after a push (None: unchanged)."""

    prospect_id: int
    lead_id: str | None = None
    contact_id: str | None = None
    owner_id: str | None = None
    synced_at: datetime | None = None


class SyncStateRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- upsert keys ---------------------------------------------------------------------

    def keys(self, prospect_ids: Sequence[int]) -> dict[int, str]:
        """Each prospect's key, made (and written in this transaction) when missing.

        A random key, not one derived from the prospect's id: two leadbridge databases
        pointed at the same org must never claim each other's leads."""
        found = self._existing_keys(prospect_ids)
        missing = [pid for pid in dict.fromkeys(prospect_ids) if pid not in found]
        if missing:
            now = self.clock.now()
            made = {pid: f"{KEY_PREFIX}{uuid.uuid4().hex}" for pid in missing}
            rows = [
                {"prospect_id": pid, "crm_key": key, "created_at": now} for pid, key in made.items()
            ]
            for chunk in chunked(rows):
                self.session.execute(insert(KEYS), list(chunk))
            found.update(made)
        return found

    def _existing_keys(self, prospect_ids: Iterable[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for chunk in chunked(dict.fromkeys(prospect_ids)):
            query = select(KEYS.c.prospect_id, KEYS.c.crm_key).where(
                one_of(self.session, KEYS.c.prospect_id, chunk)
            )
            found.update({row[0]: row[1] for row in self.session.execute(query)})
        return found

    # -- agreed values -------------------------------------------------------------------

    def agreed(self, prospect_ids: Sequence[int]) -> dict[tuple[int, str], dict[str, Any]]:
        """(prospect id, object) → agreed values, for the prospects that have any."""
        found: dict[tuple[int, str], dict[str, Any]] = {}
        for chunk in chunked(dict.fromkeys(prospect_ids)):
            query = select(STATE.c.prospect_id, STATE.c.crm_object, STATE.c["values"]).where(
                one_of(self.session, STATE.c.prospect_id, chunk)
            )
            for prospect_id, crm_object, values in self.session.execute(query):
                found[(prospect_id, crm_object)] = dict(values or {})
        return found

    def remember(self, entries: Sequence[Agreed], *, replace: bool = False) -> None:
        """Merge agreed values into each record's state (`replace`: start afresh, as when a
        prospect is linked to a different record)."""
        if not entries:
            return
        now = self.clock.now()
        merged: dict[tuple[int, str], dict[str, Any]] = {}
        crm_ids: dict[tuple[int, str], str | None] = {}
        before = {} if replace else self.agreed([entry.prospect_id for entry in entries])
        for entry in entries:
            key = (entry.prospect_id, entry.crm_object)
            merged[key] = {**merged.get(key, before.get(key, {})), **entry.values}
            crm_ids[key] = entry.crm_id or crm_ids.get(key)
        for chunk in chunked(list(merged)):
            self._delete(chunk)
            rows = [
                {
                    "prospect_id": pid,
                    "crm_object": crm_object,
                    "crm_id": crm_ids[(pid, crm_object)],
                    "values": merged[(pid, crm_object)],
                    "synced_at": now,
                }
                for pid, crm_object in chunk
            ]
            insert_rows(self.session.connection(), STATE, rows)

    def _delete(self, keys: Sequence[tuple[int, str]], table: Table = STATE) -> None:
        by_object: dict[str, list[int]] = {}
        for prospect_id, crm_object in keys:
            by_object.setdefault(crm_object, []).append(prospect_id)
        for crm_object, ids in by_object.items():
            for chunk in key_chunks(self.session, ids):
                self.session.execute(
                    delete(table).where(
                        and_(
                            table.c.crm_object == crm_object,
                            one_of(self.session, table.c.prospect_id, chunk),
                        )
                    )
                )

    # -- values being sent ---------------------------------------------------------------

    def record_sent(self, entries: Sequence[Agreed]) -> None:
        """The values about to be sent per (prospect, object), replacing earlier ones (a
        record not created yet has crm_id None)."""
        latest = {(entry.prospect_id, entry.crm_object): entry for entry in entries}
        if not latest:
            return
        self._delete(list(latest), SENT)
        now = self.clock.now()
        rows = [
            {
                "prospect_id": entry.prospect_id,
                "crm_object": entry.crm_object,
                "crm_id": entry.crm_id,
                "values": dict(entry.values),
                "sent_at": now,
            }
            for entry in latest.values()
        ]
        for chunk in chunked(rows):
            self.session.execute(insert(SENT), list(chunk))

    def sent(self, prospect_ids: Sequence[int]) -> dict[tuple[int, str], dict[str, Any]]:
        """(prospect id, object) → values sent whose outcome was never recorded."""
        found: dict[tuple[int, str], dict[str, Any]] = {}
        for chunk in chunked(dict.fromkeys(prospect_ids)):
            query = select(SENT.c.prospect_id, SENT.c.crm_object, SENT.c["values"]).where(
                one_of(self.session, SENT.c.prospect_id, chunk)
            )
            for prospect_id, crm_object, values in self.session.execute(query):
                found[(prospect_id, crm_object)] = dict(values or {})
        return found

    def clear_sent(self, keys: Sequence[tuple[int, str]]) -> None:
        """Forget the values sent for these (prospect, object): their outcome is recorded."""
        self._delete(list(dict.fromkeys(keys)), SENT)

    def forget(self, prospect_id: int, crm_object: str | None = None) -> None:
        """Drop a prospect's agreed values (for one object, or all)."""
        condition = STATE.c.prospect_id == prospect_id
        if crm_object is not None:
            condition = and_(condition, STATE.c.crm_object == crm_object)
        self.session.execute(delete(STATE).where(condition))

    # -- prospects, in batches -----------------------------------------------------------

    def prospects(self, prospect_ids: Sequence[int]) -> dict[int, Prospect]:
        """Prospects by id, live or recycled (chunked queries)."""
        return {p.id: p for p in load_by(self.session, ProspectRow.id, dict.fromkeys(prospect_ids))}

    def link(self, links: Sequence[Link]) -> None:
        """`ProspectRepository.link_crm` for many prospects in one statement per chunk: no
        audit row and `updated_at` untouched, so a sync never looks like a local edit."""
        column = PROSPECTS.c
        statement = (
            update(PROSPECTS)
            .where(column.id == bindparam("pid"))
            .values(
                crm_lead_id=func.coalesce(bindparam("lead"), column.crm_lead_id),
                crm_contact_id=func.coalesce(bindparam("contact"), column.crm_contact_id),
                crm_owner_id=func.coalesce(bindparam("owner"), column.crm_owner_id),
                last_crm_sync_at=func.coalesce(
                    bindparam("at", type_=UtcDateTime()), column.last_crm_sync_at
                ),
            )
        )
        rows = [
            {
                "pid": link.prospect_id,
                "lead": link.lead_id,
                "contact": link.contact_id,
                "owner": link.owner_id,
                "at": link.synced_at,
            }
            for link in links
        ]
        for chunk in chunked(rows):
            self.session.execute(statement, list(chunk))

    def open_errors(
        self,
        prospect_ids: Sequence[int],
        crm_objects: Sequence[str | None],
        *,
        except_codes: Sequence[str] = (),
    ) -> list[int]:
        """Ids of the prospects' unresolved sync errors about these Salesforce objects
        (leaving out those with `except_codes`)."""
        named = [name for name in crm_objects if name is not None]
        about: ColumnElement[bool] = SyncErrorRow.crm_object.in_(named)
        if None in crm_objects:
            about = or_(about, SyncErrorRow.crm_object.is_(None))
        found: list[int] = []
        for chunk in chunked(dict.fromkeys(prospect_ids)):
            query = select(SyncErrorRow.id).where(
                one_of(self.session, SyncErrorRow.prospect_id, chunk),
                SyncErrorRow.resolved_at.is_(None),
                SyncErrorRow.error_code.not_in(except_codes),
                about,
            )
            found.extend(self.session.scalars(query))
        return found

    # -- what the push reads besides prospects -------------------------------------------

    def last_changes(
        self, prospect_ids: Sequence[int], fields: Iterable[str]
    ) -> dict[int, dict[str, datetime]]:
        """When each of these fields last changed per prospect, from the audit log."""
        names = sorted(set(fields))
        found: dict[int, dict[str, datetime]] = {}
        if not names:
            return found
        for chunk in chunked(dict.fromkeys(prospect_ids)):
            query = (
                select(AuditRow.prospect_id, AuditRow.field, func.max(AuditRow.at))
                .where(one_of(self.session, AuditRow.prospect_id, chunk), AuditRow.field.in_(names))
                .group_by(AuditRow.prospect_id, AuditRow.field)
            )
            for prospect_id, name, at in self.session.execute(query):
                found.setdefault(prospect_id, {})[name] = _utc(at)
        return found

    def pending_pushes(self, prospect_ids: Sequence[int]) -> dict[int, list[OutboxItem]]:
        """Unfinished push outbox items per prospect, due or not (a manual sync does them)."""
        found: dict[int, list[OutboxItem]] = {}
        for chunk in chunked(dict.fromkeys(prospect_ids)):
            query = select(*ITEM_COLUMNS).where(
                OutboxRow.kind == PUSH,
                OutboxRow.done_at.is_(None),
                one_of(self.session, OutboxRow.prospect_id, chunk),
            )
            for row in self.session.execute(query.order_by(OutboxRow.id)):
                if row.prospect_id is not None:
                    found.setdefault(row.prospect_id, []).append(outbox_snapshot(row))
        return found


def _utc(value: Any) -> datetime:
    """An aware UTC datetime, whatever form the driver gave `max(at)` in."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
