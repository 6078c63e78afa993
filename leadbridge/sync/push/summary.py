"""What one push run did, for `leadbridge sync once` and the logs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PushSummary:
    considered: int = 0  # prospects looked at
    pushed: int = 0  # in sync with Salesforce afterwards (written, or nothing to write)
    created: int = 0  # new leads
    updated: int = 0  # existing records written to
    unchanged: int = 0  # nothing to write: Salesforce already had every value
    matched_contact: int = 0  # first push that found an existing contact
    matched_lead: int = 0  # first push that found an existing unconverted lead
    skipped: int = 0  # not pushed: not assigned, do not sync, recycled, paused…
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # by kind
    warnings: int = 0  # duplicates found in Salesforce (the push still happened)
    campaign_members_added: int = 0
    campaign_members_updated: int = 0
    api_calls: int = 0  # calls spent against the org's allowance (logins excluded)
    paused: bool = False  # nothing ran: the connector is paused (automatic runs only)
    stopped: str | None = None  # why the run stopped early (API limit, Salesforce down)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "considered": self.considered,
            "pushed": self.pushed,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "matched_contact": self.matched_contact,
            "matched_lead": self.matched_lead,
            "skipped": self.skipped,
            "skipped_by_reason": dict(sorted(self.skipped_by_reason.items())),
            "errors": self.error_count,
            "errors_by_kind": dict(sorted(self.errors.items())),
            "warnings": self.warnings,
            "campaign_members_added": self.campaign_members_added,
            "campaign_members_updated": self.campaign_members_updated,
            "api_calls": self.api_calls,
            "paused": self.paused,
            "stopped": self.stopped,
        }
