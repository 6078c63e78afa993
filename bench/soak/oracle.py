"""What each side wrote, and what both sides must end up holding.

Every original write (a prospect edit in leadbridge, a rep's edit in Salesforce, a record's
values when it was made) is logged per prospect (by email) and field, with its time and side.
Propagation by the sync is not a write. The expected final value follows the field's sync
behaviour: "most recent" → the latest write; "use Salesforce" → Salesforce's latest write if it
made one (else nothing to expect: once leadbridge's first value reached Salesforce, Salesforce's
copy wins over later leadbridge edits, so which one stays depends on timing); leadbridge-owned
fields → leadbridge's latest write. The scenario
keeps writes to one field at least `SEPARATION` apart, so "latest" is well defined.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

LB = "leadbridge"
SF = "salesforce"
SEPARATION = 1.2  # seconds between two writes to one field of one prospect


@dataclass(frozen=True)
class Tracked:
    field: str  # the prospect field
    lead_field: str
    contact_field: str
    behaviour: str  # most_recent | use_salesforce | use_leadbridge


TRACKED = (
    Tracked("job_title", "Title", "Title", "most_recent"),
    Tracked("city", "City", "MailingCity", "most_recent"),
    Tracked("phone", "Phone", "Phone", "use_salesforce"),
    Tracked("score", "LeadBridge_Score__c", "LeadBridge_Score__c", "use_leadbridge"),
)
FRESH_ORG_TRACKED = TRACKED[:3]  # a fresh org has no LeadBridge_Score__c
BY_FIELD = {tracked.field: tracked for tracked in TRACKED}


@dataclass(frozen=True)
class Write:
    at: float  # time.time() when the write was done (its end)
    side: str
    value: Any
    how: str  # what made it: "lb edit", "sf edit", "form", "rep create", …


@dataclass
class Entity:
    """One prospect (by email) and what is known of its Salesforce record."""

    email: str
    writes: dict[str, list[Write]] = field(default_factory=dict)
    crm_object: str | None = None  # the record the soak itself knows of (made, converted)
    crm_id: str | None = None
    in_leadbridge: bool = False  # the prospect exists (made or imported)
    deleted_in_sf: bool = False
    deleted_in_lb: bool = False
    history: list[str] = field(default_factory=list)  # what happened, for the report

    def note(self, text: str) -> None:
        self.history.append(f"{time.strftime('%H:%M:%S')} {text}")

    def last_write_at(self, names: list[str] | tuple[str, ...]) -> float:
        return max((write.at for name in names for write in self.writes.get(name, [])), default=0.0)

    def can_write(self, names: list[str] | tuple[str, ...], now: float) -> bool:
        return now - self.last_write_at(names) >= SEPARATION

    def record(self, name: str, side: str, value: Any, how: str) -> None:
        self.writes.setdefault(name, []).append(Write(time.time(), side, value, how))
        self.note(f"{how}: {name} = {value!r}")

    @property
    def live(self) -> bool:
        return self.in_leadbridge and not self.deleted_in_sf and not self.deleted_in_lb

    def expected(self, name: str) -> Write | None:
        """The write whose value both sides must hold (None: nothing to expect)."""
        writes = self.writes.get(name, [])
        behaviour = BY_FIELD[name].behaviour
        if behaviour == "use_leadbridge":
            ours = [w for w in writes if w.side == LB]
            return ours[-1] if ours else None
        if behaviour == "use_salesforce":
            theirs = [w for w in writes if w.side == SF and w.value not in (None, "")]
            return theirs[-1] if theirs else None
        return max(writes, key=lambda write: write.at) if writes else None
