"""The mirrors against the sandbox org: the push suite's wired store plus a Salesforce-side
world (accounts, opportunities, campaigns, a custom object) around one synced prospect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadbridge.store import FieldMappingRepository
from leadbridge.sync import PushEngine
from leadbridge.sync.mirrors import MirrorSummary, mirror_step
from tests.conftest import SandboxClient

# The store suite's fixtures (`db` runs a test on SQLite and on PostgreSQL) and the push
# suite's: a fresh SQLite store with the connector added, verified, resumed.
from tests.integration.store.conftest import (  # noqa: F401
    clock,
    db,
    postgres_database,
    postgres_server,
    sqlite_template,
)
from tests.integration.sync.conftest import Wired, wired  # noqa: F401


class OrgClock:
    """The sandbox org's time plus a second, as if leadbridge's clock ran a little ahead."""

    def __init__(self, sandbox: SandboxClient) -> None:
        self.backend = sandbox.server.backend

    def now(self) -> datetime:
        moment: datetime = self.backend.clock.now()
        return moment + timedelta(seconds=1)


@dataclass
class World:
    wired: Wired
    clock: OrgClock
    ids: dict[str, str]
    prospect_id: int

    @property
    def org(self) -> Any:
        return self.wired.sandbox.server.backend.org

    def step(self) -> MirrorSummary:
        return mirror_step(self.wired.db, self.wired.crm, self.clock)

    def insert(self, object_name: str, **values: Any) -> str:
        [record_id] = self.org.insert_raw(object_name, [values])
        return str(record_id)

    def update(self, object_name: str, record_id: str, values: dict[str, Any]) -> None:
        self.org.update(object_name, record_id, values)

    def later(self, seconds: float = 5) -> None:
        """Let the org's time pass (beyond the step's overlap)."""
        self.wired.sandbox.control("POST", "/clock", {"advance_seconds": seconds})

    def push(self, email: str) -> int:
        prospect_id = self.wired.add(email)
        PushEngine(self.wired.db, self.wired.crm, self.clock).run_once()
        return prospect_id


@pytest.fixture
def world(wired: Wired) -> World:  # noqa: F811
    org_clock = OrgClock(wired.sandbox)
    with wired.db.session() as session:
        FieldMappingRepository(session).upsert_account("industry", "Industry")
    w = World(wired, org_clock, {}, 0)
    ids = w.ids
    ids["acme"] = w.insert("Account", Name="Acme", Industry="Technology")
    ids["other"] = w.insert("Account", Name="Other Co", Industry="Retail")
    ids["ada"] = w.insert(
        "Contact", LastName="Lovelace", Email="ada@example.com", AccountId=ids["acme"]
    )
    ids["bob"] = w.insert(
        "Contact", LastName="Stranger", Email="bob@example.com", AccountId=ids["other"]
    )
    close = "2027-03-31"
    ids["deal"] = w.insert(
        "Opportunity", Name="Acme deal", AccountId=ids["acme"], StageName="Prospecting",
        Amount=1000, CloseDate=close,
    )  # fmt: skip
    ids["far"] = w.insert(
        "Opportunity", Name="Other deal", AccountId=ids["other"], StageName="Prospecting",
        CloseDate=close,
    )  # fmt: skip
    ids["role"] = w.insert(
        "OpportunityContactRole", OpportunityId=ids["deal"], ContactId=ids["ada"],
        Role="Decision Maker", IsPrimary=True,
    )  # fmt: skip
    w.insert("OpportunityContactRole", OpportunityId=ids["far"], ContactId=ids["bob"])
    ids["webinar"] = w.insert("Campaign", Name="Webinar", Status="In Progress", IsActive=True)
    w.insert(
        "CampaignMemberStatus", CampaignId=ids["webinar"], Label="Attended", SortOrder=3,
        HasResponded=True,
    )  # fmt: skip
    ids["member"] = w.insert(
        "CampaignMember", CampaignId=ids["webinar"], ContactId=ids["ada"], Status="Sent"
    )
    w.insert("CampaignMember", CampaignId=ids["webinar"], ContactId=ids["bob"], Status="Sent")
    ids["sub"] = w.insert("Subscription__c", Name="SUB-1", Contact__c=ids["ada"], Plan__c="Pro")
    w.insert("Subscription__c", Name="SUB-2", Contact__c=ids["bob"], Plan__c="Free")
    w.prospect_id = w.push("ada@example.com")
    w.later()
    return w
