"""The few interfaces the sync engine needs: the CRM and the clock (the store comes with it).

The engine talks to these Protocols only; `leadbridge.salesforce` implements `CrmClient` over
simple-salesforce, and tests may use the sandbox org behind the real client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol

from leadbridge.errors import CrmError

CrmRecord = dict[str, Any]  # Salesforce field API name → value, always with "Id"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class CrmField:
    name: str
    label: str
    type: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    unique: bool = False
    external_id: bool = False
    calculated: bool = False
    restricted_picklist: bool = False
    picklist_values: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    defaulted_on_create: bool = False

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create


@dataclass(frozen=True)
class CrmObject:
    name: str
    label: str
    custom: bool
    fields: Mapping[str, CrmField]  # keyed by the field's API name as Salesforce spells it

    def field(self, name: str) -> CrmField | None:
        found = self.fields.get(name)
        if found is not None:
            return found
        return self._by_lower_name.get(name.lower())

    @cached_property
    def creation_required(self) -> tuple[CrmField, ...]:
        """The fields a create must give a value to (not booleans, not formulas), in
        `fields` order: found once per object, not once per record planned."""
        return tuple(
            crm_field
            for crm_field in self.fields.values()
            if crm_field.required_on_create
            and crm_field.type != "boolean"
            and not crm_field.calculated
        )

    @cached_property
    def _by_lower_name(self) -> dict[str, CrmField]:
        """Fields by lower-cased API name, the first of each wins (built once)."""
        found: dict[str, CrmField] = {}
        for key, described in self.fields.items():
            found.setdefault(key.lower(), described)
        return found


@dataclass(frozen=True)
class SaveResult:
    """One record's outcome in a batch write, in request order."""

    id: str | None
    success: bool
    created: bool = False
    errors: tuple[CrmError, ...] = ()


@dataclass(frozen=True)
class DeletedRecord:
    id: str
    deleted_at: datetime


@dataclass(frozen=True)
class DeletedWindow:
    records: tuple[DeletedRecord, ...]
    earliest_available: datetime
    latest_covered: datetime


@dataclass(frozen=True)
class FieldChange:
    """One row of Salesforce's field history: a record's field got `new_value` at `changed_at`
    (Salesforce's clock)."""

    record_id: str
    field: str
    new_value: Any
    changed_at: datetime


@dataclass(frozen=True)
class CrmUser:
    id: str
    username: str
    email: str
    name: str
    active: bool


@dataclass(frozen=True)
class CrmQueue:
    """A Salesforce queue: a group that can own records (leads) instead of a user."""

    id: str
    name: str
    developer_name: str = ""


@dataclass
class ApiUsageReport:
    """What leadbridge knows of the org's API allowance and its own spending."""

    used: int | None = None  # the org's count, from the last Sforce-Limit-Info header
    limit: int | None = None
    calls_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def our_calls(self) -> int:
        return sum(self.calls_by_kind.values())

    @property
    def api_calls(self) -> int:
        """Our calls that count against the org's allowance (logins do not)."""
        return self.our_calls - self.calls_by_kind.get("login", 0)


class CrmClient(Protocol):
    """Batch-first access to a Salesforce org. Every method covers many records per call."""

    def describe(self, object_names: Sequence[str]) -> dict[str, CrmObject]: ...

    def custom_objects(self) -> list[str]: ...

    def find_by_emails(
        self,
        object_name: str,
        emails: Sequence[str],
        fields: Sequence[str],
        *,
        where: str | None = None,
    ) -> list[CrmRecord]: ...

    def retrieve(
        self, object_name: str, ids: Sequence[str], fields: Sequence[str]
    ) -> list[CrmRecord]: ...

    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[CrmRecord]: ...

    # auto_assign: Salesforce's active lead assignment rule picks the owner (else it never
    # runs: the owner leadbridge sends, or the record's, stays).
    def create(
        self, object_name: str, records: Sequence[Mapping[str, Any]], *, auto_assign: bool = ...
    ) -> list[SaveResult]: ...

    def update(
        self, object_name: str, records: Sequence[Mapping[str, Any]], *, auto_assign: bool = ...
    ) -> list[SaveResult]: ...

    def upsert(
        self,
        object_name: str,
        external_id_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        auto_assign: bool = ...,
    ) -> list[SaveResult]: ...

    def changed(
        self, object_name: str, fields: Sequence[str], start: datetime, end: datetime
    ) -> Iterator[CrmRecord]: ...

    def deleted(self, object_name: str, start: datetime, end: datetime) -> DeletedWindow: ...

    def users(self, *, active_only: bool = True) -> list[CrmUser]: ...

    def queues(self) -> list[CrmQueue]:
        """Every queue of the org (one query): the owners of queue-owned leads."""
        ...

    def field_history(
        self, object_name: str, ids: Sequence[str], fields: Sequence[str]
    ) -> list[FieldChange]:
        """The field history rows of these records for these fields (LeadHistory,
        ContactHistory), oldest first; none when the org keeps no history for the object."""
        ...

    def usage(self) -> ApiUsageReport: ...

    def close(self) -> None:
        """Release the connection (a loop keeps one client across cycles, closed at exit)."""
        ...

    def server_now(self) -> datetime:
        """Salesforce's clock now. Pull windows, cursors and "since" times use it, never
        this machine's clock, which may run minutes ahead of or behind the org's."""
        ...


# ---------------------------------------------------------------- Change Data Capture

CREATE, UPDATE, DELETE, UNDELETE = "CREATE", "UPDATE", "DELETE", "UNDELETE"
GAP_OVERFLOW = "GAP_OVERFLOW"
CHANGE_EVENTS_TOPIC = "/data/ChangeEvents"  # every object selected for Change Data Capture
# The errorCode of a stream refused its stored position (past Salesforce's 72-hour retention).
REPLAY_ID_EXPIRED = "REPLAY_ID_EXPIRED"


@dataclass(frozen=True)
class ChangeEvent:
    """One change event from Salesforce's change stream, decoded.

    `values` holds, by API name, what the event carries: for an update only the changed fields
    (a nulled field as None), for a create or undelete every non-null field, for a delete
    nothing. A gap event (`GAP_CREATE`, …) carries no values: the records must be read; a
    `GAP_OVERFLOW` names no records: the window around `committed_at` must be polled."""

    object_name: str
    change_type: str
    record_ids: tuple[str, ...]
    values: Mapping[str, Any]
    committed_at: datetime  # Salesforce's clock
    commit_user: str = ""
    transaction_key: str = ""
    sequence: int = 0

    @property
    def gap(self) -> bool:
        return self.change_type.startswith("GAP_")


@dataclass(frozen=True)
class ChangeBatch:
    """What one read from the stream delivered: events (possibly none, a keepalive) and the
    position to store once they are applied."""

    events: tuple[ChangeEvent, ...]
    replay_id: bytes  # after the last event, or the stream's latest position for a keepalive
    pending: int = 0  # events the stream still owes on the current request


class ChangeStream(Protocol):
    """Salesforce's Change Data Capture over the Pub/Sub API: no REST API call is spent."""

    def selected_objects(self) -> set[str]:
        """The objects whose changes Salesforce publishes (Setup > Change Data Capture):
        one Tooling API query."""
        ...

    def subscribe(self, after: bytes | None, *, batch_size: int) -> Iterator[ChangeBatch]:
        """Batches from just after `after` (None: from now on), as they come; raises
        `CrmError` when the stream fails (`REPLAY_ID_EXPIRED` when `after` is too old)."""
        ...

    def close(self) -> None: ...


def change_stream_of(crm: CrmClient, objects: Mapping[str, CrmObject]) -> ChangeStream | None:
    """`crm`'s change stream, or None for a client without one."""
    make = getattr(crm, "change_stream", None)
    return None if make is None else make(objects)
