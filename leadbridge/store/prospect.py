"""The Prospect snapshot that repositories hand out (never a live ORM object)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from leadbridge.domain.fields import DEFAULT_FIELD_NAMES


@dataclass(frozen=True)
class Prospect:
    id: int
    email: str
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    department: str | None = None
    company: str | None = None
    website: str | None = None
    phone: str | None = None
    fax: str | None = None
    address_one: str | None = None
    address_two: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    industry: str | None = None
    annual_revenue: float | None = None
    employees: int | None = None
    source: str | None = None
    comments: str | None = None
    notes: str | None = None
    opted_out: bool = False
    do_not_email: bool = False
    do_not_call: bool = False
    score: int = 0
    grade: str | None = None
    marketing_campaign: str | None = None  # the campaign's name
    marketing_campaign_id: int | None = None
    custom: Mapping[str, Any] = field(default_factory=dict)
    assigned_user_id: int | None = None
    crm_lead_id: str | None = None
    crm_contact_id: str | None = None
    crm_account_id: str | None = None
    crm_owner_id: str | None = None
    do_not_sync: bool = False
    recycled: bool = False
    deleted_in_crm: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_crm_sync_at: datetime | None = None

    @property
    def email_key(self) -> str:
        return self.email.strip().lower()

    @property
    def crm_id(self) -> str | None:
        """The linked Salesforce record: the contact when there is one, else the lead."""
        return self.crm_contact_id or self.crm_lead_id

    @property
    def syncable(self) -> bool:
        """Whether changes go to Salesforce: assigned or linked, live, and not opted out
        of CRM sync."""
        linked = self.assigned_user_id is not None or self.crm_id is not None
        return linked and not self.recycled and not self.do_not_sync

    def value(self, name: str) -> Any:
        """A default field's or a custom field's value, by name."""
        if name in DEFAULT_FIELD_NAMES or name == "do_not_sync":
            return getattr(self, name)
        return self.custom.get(name)


_COLUMNS = frozenset(f.name for f in fields(Prospect)) - {"marketing_campaign", "custom"}


def prospect_from_row(
    row: Mapping[str, Any], *, custom: Mapping[str, Any], campaign: str | None
) -> Prospect:
    """A snapshot from a `prospects` row (as a mapping), its custom values and campaign name."""
    values = {name: row[name] for name in _COLUMNS}
    return Prospect(**values, custom=dict(custom), marketing_campaign=campaign)


def with_values(prospect: Prospect, **changes: Any) -> Prospect:
    """`dataclasses.replace` for a snapshot, without re-running the constructor (the batch
    paths make thousands): the same fields, `changes` (field name → value) applied."""
    unknown = set(changes) - _FIELDS
    if unknown:
        raise TypeError(f"not prospect fields: {sorted(unknown)}")
    copy = object.__new__(Prospect)
    copy.__dict__.update(prospect.__dict__, **changes)
    return copy


_FIELDS = frozenset(f.name for f in fields(Prospect))
