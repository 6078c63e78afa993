"""Matching a prospect to Salesforce records by email: contacts first, then unconverted
leads, else a new lead (the order Pardot documents).

Several records of the chosen kind with the same email are a duplicate in Salesforce: the
choice is deterministic (a record carrying this prospect's own key first, then the most
recently modified, then the lowest Id) and the others are named in a warning, instead of
updating them all (Mautic) or "the first one returned" (HubSpot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from leadbridge.domain.crm_values import parse_crm_datetime
from leadbridge.ports import CrmRecord

CONTACT = "Contact"
LEAD = "Lead"
MULTIPLE_MATCHES = "MULTIPLE_MATCHES"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Match:
    """The record to update (None: create a lead) and same-kind records passed over."""

    object_name: str
    record: CrmRecord | None = None
    others: tuple[CrmRecord, ...] = ()

    @property
    def creates(self) -> bool:
        return self.record is None

    def duplicate_warning(self, email: str) -> str | None:
        """Plain words naming the records not chosen, or None when there is no duplicate."""
        if self.record is None or not self.others:
            return None
        kind = self.object_name.lower()
        others = ", ".join(str(record["Id"]) for record in self.others)
        return (
            f"Salesforce has {len(self.others) + 1} {kind}s with the email {email}: leadbridge "
            f"syncs with {self.record['Id']}, the most recently modified, and leaves {others} "
            f"alone. Merge the duplicate {kind}s in Salesforce to clear this warning."
        )


def modified_at(record: CrmRecord) -> datetime:
    raw = record.get("LastModifiedDate")
    parsed = parse_crm_datetime(str(raw)) if raw else None
    return parsed or _EPOCH


def choose(
    candidates: Sequence[CrmRecord], *, key_field: str | None = None, key: str | None = None
) -> tuple[CrmRecord, tuple[CrmRecord, ...]]:
    """The record to use among same-kind candidates, and the others."""

    def rank(record: CrmRecord) -> tuple[bool, float, str]:
        ours = key_field is not None and key is not None and record.get(key_field) == key
        return (not ours, -modified_at(record).timestamp(), str(record["Id"]))

    ordered = sorted(candidates, key=rank)
    return ordered[0], tuple(ordered[1:])


def match(
    contacts: Sequence[CrmRecord],
    leads: Sequence[CrmRecord],
    *,
    key_field: str | None = None,
    key: str | None = None,
) -> Match:
    """The match for one prospect among the contacts and unconverted leads with its email."""
    for object_name, candidates in ((CONTACT, contacts), (LEAD, leads)):
        if candidates:
            chosen, others = choose(candidates, key_field=key_field, key=key)
            return Match(object_name, chosen, others)
    return Match(LEAD)
