"""What bringing Salesforce leads and contacts into leadbridge did, per record or CSV row."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

CREATED = "created"
UPDATED = "updated"
LINKED = "linked"
RESTORED = "restored"
UNCHANGED = "unchanged"
SKIPPED = "skipped"
NOT_FOUND = "not found"
NO_EMAIL = "no email"
ERROR = "error"


@dataclass
class IntakeOutcome:
    """One Salesforce id sent, one record auto-created, or one CSV row."""

    key: str  # the id as given, or "line N"
    status: str
    email: str | None = None
    prospect_id: int | None = None
    crm_object: str | None = None
    crm_id: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value not in (None, [])}


@dataclass
class IntakeSummary:
    outcomes: list[IntakeOutcome] = field(default_factory=list)
    crm_calls: int = 0
    paused: bool = False  # nothing ran: the connector is paused (the automatic step only)

    @property
    def api_calls(self) -> int:
        return self.crm_calls

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(outcome.status for outcome in self.outcomes))

    @property
    def created(self) -> int:
        return self.counts.get(CREATED, 0)

    def add(self, outcome: IntakeOutcome) -> IntakeOutcome:
        self.outcomes.append(outcome)
        return outcome

    def prospect_ids(self) -> list[int]:
        return [o.prospect_id for o in self.outcomes if o.prospect_id is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "crm_calls": self.crm_calls,
            "paused": self.paused,
            "results": [outcome.as_dict() for outcome in self.outcomes],
        }
