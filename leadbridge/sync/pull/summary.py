"""What one pull run did, for `leadbridge sync once` and the logs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class PullSummary:
    read: int = 0  # changed records Salesforce returned (connected or not)
    pulled: int = 0  # of those, records linked to a prospect
    changed_fields: int = 0  # prospect fields that took Salesforce's value
    changed_prospects: int = 0
    owners_changed: int = 0
    emails_changed: int = 0
    relinked: int = 0  # converted leads now followed as their contacts
    deleted: int = 0  # sent to the recycle bin, deleted in Salesforce
    restored: int = 0  # undeleted in Salesforce
    merged: int = 0  # repointed to the record that survived a merge
    prospects_merged: int = 0  # two prospects merged into one
    warnings: int = 0
    api_calls: int = 0
    paused: bool = False
    stopped: str | None = None
    streaming: bool = False  # not polled: the change stream brings these changes

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
