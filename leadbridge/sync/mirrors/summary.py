"""What one mirror step did, for the sync cycle's report and the logs."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class UserChanges:
    """Salesforce users seen by the (at most daily) users poll."""

    polled: bool = False
    mapped: list[dict[str, str]] = field(default_factory=list)  # new users matched by email
    unmatched: list[dict[str, str]] = field(default_factory=list)  # new, no leadbridge user
    deactivated: list[dict[str, str]] = field(default_factory=list)  # mapped, now inactive
    conflicts: list[str] = field(default_factory=list)  # leadbridge user mapped to another


@dataclass
class MirrorSummary:
    accounts: int = 0
    account_links: int = 0  # prospects whose account link was set or changed
    opportunities: int = 0
    contact_roles: int = 0
    campaigns: int = 0
    campaign_statuses: int = 0
    campaign_members: int = 0
    custom_records: Counter[str] = field(default_factory=Counter)  # by object
    calls_by_object: Counter[str] = field(default_factory=Counter)  # queries and retrieves
    users: UserChanges = field(default_factory=UserChanges)
    warnings: list[str] = field(default_factory=list)
    api_calls: int = 0
    paused: bool = False  # nothing ran: the connector is paused
    stopped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["custom_records"] = dict(sorted(self.custom_records.items()))
        data["calls_by_object"] = dict(sorted(self.calls_by_object.items()))
        return data
