"""Demo data seeding: counts, determinism, valid values, consistent relationships."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadbridge.sandbox import seed as seed_module
from leadbridge.sandbox.clock import OrgClock, format_datetime, parse_datetime
from leadbridge.sandbox.org import Org
from leadbridge.sandbox.records import DEFAULT_MEMBER_STATUSES
from leadbridge.sandbox.schema import load_schema
from leadbridge.sandbox.seed import SEEDED_OBJECTS, SeedSizes, seed_org
from leadbridge.sandbox.storage import OrgDatabase
from leadbridge.sandbox.values import to_storage

SMALL = SeedSizes(
    users=3,
    accounts=4,
    contacts=12,
    leads=40,
    opportunities=6,
    campaigns=2,
    campaign_members=24,
    subscriptions=5,
)
NOW = datetime(2024, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC)


class FixedClock(OrgClock):
    def now(self) -> datetime:
        return NOW


def make_org(clock: OrgClock | None = None) -> Org:
    schema = load_schema()
    return Org(
        schema,
        OrgDatabase(schema, None),
        clock or FixedClock(),
        admin_username="admin@sandbox.leadbridge.test",
    )


def rows(org: Org, object_name: str, where: str = "1 = 1") -> list[dict[str, Any]]:
    cursor = org.db.conn.execute(f'SELECT * FROM "{object_name}" WHERE {where} ORDER BY _rowid')
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def seeded(sizes: SeedSizes = SMALL, seed: int = 42) -> Org:
    org = make_org()
    seed_org(org, seed=seed, sizes=sizes)
    return org


@pytest.fixture(scope="module")
def org() -> Org:
    return seeded()


def test_counts_match_sizes() -> None:
    org = make_org()
    counts = seed_org(org, sizes=SMALL)
    assert counts["User"] == SMALL.users + 1
    assert counts["Account"] == SMALL.accounts
    assert counts["Contact"] == SMALL.contacts
    assert counts["Lead"] == SMALL.leads
    assert counts["Opportunity"] == SMALL.opportunities
    assert counts["Campaign"] == SMALL.campaigns
    assert counts["CampaignMemberStatus"] == SMALL.campaigns * len(DEFAULT_MEMBER_STATUSES)
    assert counts["CampaignMember"] == SMALL.campaign_members
    assert counts["Subscription__c"] == SMALL.subscriptions
    assert SMALL.opportunities <= counts["OpportunityContactRole"] <= 2 * SMALL.opportunities
    admin_only = {"User": 1}
    for name in SEEDED_OBJECTS:
        assert len(rows(org, name)) == counts[name] + admin_only.get(name, 0), name


def test_default_sizes_seed_quickly() -> None:
    counts = seed_org(make_org())
    assert counts["Lead"] == 200
    assert counts["User"] == 9


def test_same_seed_gives_identical_records() -> None:
    first, second = seeded(seed=7), seeded(seed=7)
    for name in SEEDED_OBJECTS:
        assert rows(first, name) == rows(second, name), name


def test_different_seed_gives_different_people() -> None:
    first, second = seeded(seed=1), seeded(seed=2)
    emails = [{row["Email"] for row in rows(org, "Lead")} for org in (first, second)]
    assert emails[0] != emails[1]
    names = [[row["Name"] for row in rows(org, "Contact")] for org in (first, second)]
    assert names[0] != names[1]


def test_exactly_one_inactive_user(org: Org) -> None:
    users = rows(org, "User", "\"Username\" != 'admin@sandbox.leadbridge.test'")
    assert [user["IsActive"] for user in users].count(0) == 1
    assert all(user["Username"].endswith("@sandbox-sales.leadbridge.test") for user in users)


def test_records_are_owned_by_active_reps(org: Org) -> None:
    active = {row["Id"] for row in rows(org, "User", '"IsActive" = 1')} - {org.admin_user_id}
    for name in ("Account", "Contact", "Opportunity", "Campaign", "Subscription__c"):
        assert {row["OwnerId"] for row in rows(org, name)} <= active, name
    queues = {row["Id"] for row in rows(org, "Group", "\"Type\" = 'Queue'")}
    owners = [row["OwnerId"] for row in rows(org, "Lead")]
    assert set(owners) <= active | queues
    assert 0 < sum(owner in queues for owner in owners) < len(owners) // 5


def test_lead_queues_support_leads_and_are_reused_by_a_second_seeding() -> None:
    org = seeded()
    queues = rows(org, "Group")
    assert [(q["Name"], q["DeveloperName"], q["Type"]) for q in queues] == [
        ("Inbound Leads", "Inbound_Leads", "Queue"),
        ("Partner Leads", "Partner_Leads", "Queue"),
    ]
    supported = {(row["QueueId"], row["SobjectType"]) for row in rows(org, "QueueSobject")}
    assert supported == {(q["Id"], "Lead") for q in queues}
    counts = seed_org(org, sizes=SMALL)
    assert (counts["Group"], counts["QueueSobject"]) == (0, 0)
    assert len(rows(org, "Group")) == 2
    assert len(rows(org, "Lead", f"\"OwnerId\" = '{queues[0]['Id']}'")) > 0


def test_every_value_passes_the_orgs_field_checks(org: Org) -> None:
    """Lengths, restricted picklists and e-mail formats, as a validated save would check them."""
    for name in SEEDED_OBJECTS:
        obj = org.object(name)
        for row in rows(org, name):
            for field in obj.iter_fields():
                if field.is_text and field.type not in {"id", "reference"}:
                    to_storage(field, row[field.name])


def test_emails_are_unique_per_object(org: Org) -> None:
    for name in ("Lead", "Contact"):
        emails = [row["Email"].lower() for row in rows(org, name)]
        assert all(emails)
        assert len(set(emails)) == len(emails), name
        assert all(email.split("@")[0].isascii() for email in emails)


def test_some_contacts_are_also_leads(org: Org) -> None:
    leads = {row["Email"].lower(): row for row in rows(org, "Lead")}
    shared = [contact for contact in rows(org, "Contact") if contact["Email"].lower() in leads]
    assert shared
    for contact in shared:
        assert leads[contact["Email"].lower()]["Name"] == contact["Name"]


def test_lead_statuses_and_phones(org: Org) -> None:
    allowed = set(org.object("Lead").field("Status").picklist_values)  # type: ignore[union-attr]
    leads = rows(org, "Lead")
    assert {lead["Status"] for lead in leads} <= allowed - {"Closed - Converted"}
    assert all(lead["Phone"] for lead in leads if lead["Status"] == "Qualified")
    assert all(lead["IsConverted"] == 0 for lead in leads)


def test_qualified_leads_pass_the_validation_rule(org: Org) -> None:
    qualified = rows(org, "Lead", "\"Status\" = 'Qualified'")
    assert qualified
    for lead in qualified[:3]:
        org.update("Lead", lead["Id"], {"Title": "Head of Growth"})


def test_contact_roles_link_opportunities_to_contacts_of_their_account(org: Org) -> None:
    opportunities = {row["Id"]: row for row in rows(org, "Opportunity")}
    contacts = {row["Id"]: row for row in rows(org, "Contact")}
    roles = rows(org, "OpportunityContactRole")
    for role in roles:
        opportunity = opportunities[role["OpportunityId"]]
        assert contacts[role["ContactId"]]["AccountId"] == opportunity["AccountId"]
    per_opportunity = Counter(role["OpportunityId"] for role in roles)
    primaries = Counter(role["OpportunityId"] for role in roles if role["IsPrimary"])
    assert set(per_opportunity) == set(opportunities)
    assert set(per_opportunity.values()) <= {1, 2}
    assert set(primaries.values()) == {1}
    assert len(primaries) == len(opportunities)


def test_opportunity_stages_and_close_dates(org: Org) -> None:
    for opportunity in rows(org, "Opportunity"):
        closed = opportunity["StageName"] in {"Closed Won", "Closed Lost"}
        assert opportunity["IsClosed"] == int(closed)
        assert (opportunity["CloseDate"] <= NOW.date().isoformat()) == closed
        assert opportunity["Amount"] > 0


def test_campaign_members_are_unique_and_copy_their_person(org: Org) -> None:
    members = rows(org, "CampaignMember")
    keys = [(m["CampaignId"], m["LeadId"] or m["ContactId"]) for m in members]
    assert len(set(keys)) == len(keys)
    assert any(m["LeadId"] for m in members)
    assert any(m["ContactId"] for m in members)
    people = {row["Id"]: row for name in ("Lead", "Contact") for row in rows(org, name)}
    for member in members:
        person = people[member["LeadOrContactId"]]
        assert (member["FirstName"], member["LastName"], member["Email"]) == (
            person["FirstName"],
            person["LastName"],
            person["Email"],
        )
        assert member["Status"] in {"Sent", "Responded"}
        assert member["HasResponded"] == int(member["Status"] == "Responded")
        assert (member["FirstRespondedDate"] is not None) == bool(member["HasResponded"])


def test_campaign_member_counts_on_campaigns(org: Org) -> None:
    members = rows(org, "CampaignMember")
    for campaign in rows(org, "Campaign"):
        mine = [m for m in members if m["CampaignId"] == campaign["Id"]]
        assert campaign["NumberOfLeads"] == sum(1 for m in mine if m["LeadId"])
        assert campaign["NumberOfContacts"] == sum(1 for m in mine if m["ContactId"])


def test_subscriptions_belong_to_contacts(org: Org) -> None:
    contacts = {row["Id"] for row in rows(org, "Contact")}
    for subscription in rows(org, "Subscription__c"):
        assert subscription["Contact__c"] in contacts
        assert subscription["Plan__c"] in {"Free", "Pro", "Enterprise"}


def test_timestamps_spread_over_the_last_90_days(org: Org) -> None:
    earliest = format_datetime(NOW - timedelta(days=90))
    latest = format_datetime(NOW)
    created = set()
    for name in ("User", "Account", "Contact", "Lead", "CampaignMember", "Subscription__c"):
        for row in rows(org, name):
            stamp, changed = row["CreatedDate"], row["SystemModstamp"]
            assert format_datetime(parse_datetime(stamp)) == stamp
            assert earliest <= stamp <= changed <= latest, name
            assert row["LastModifiedDate"] == changed
            created.add(stamp[:10])
    assert len(created) > 30


def test_seeding_twice_adds_records_without_clashes() -> None:
    org = seeded()
    seed_org(org, sizes=SMALL)
    usernames = [row["Username"].lower() for row in rows(org, "User")]
    assert len(set(usernames)) == len(usernames) == 2 * (SMALL.users + 1) + 1
    for name, size in (("Lead", SMALL.leads), ("Contact", SMALL.contacts)):
        emails = [row["Email"].lower() for row in rows(org, name)]
        assert len(set(emails)) == len(emails) == 2 * size, name
    names = [row["Name"] for row in rows(org, "Subscription__c")]
    assert len(set(names)) == len(names)


def test_leads_stream_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seed_module, "LEAD_CHUNK", 7)
    org = seeded(
        SeedSizes(
            users=2,
            accounts=2,
            contacts=3,
            leads=40,
            opportunities=1,
            campaigns=3,
            campaign_members=100,
            subscriptions=1,
        )
    )
    assert len(rows(org, "Lead")) == 40
    members = rows(org, "CampaignMember", '"LeadId" IS NOT NULL')
    leads = {row["Id"]: row for row in rows(org, "Lead")}
    assert all(leads[m["LeadId"]]["Email"] == m["Email"] for m in members)


def test_nothing_but_the_inactive_user_when_sizes_are_zero() -> None:
    zero = SeedSizes(**dict.fromkeys(SeedSizes.__dataclass_fields__, 0))
    counts = seed_org(make_org(), sizes=zero)
    assert counts == {name: int(name == "User") for name in SEEDED_OBJECTS}


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"leads": -1}, "non-negative"),
        ({"leads": 1_000_001}, "at most"),
        ({"accounts": 0}, "contacts need"),
        (
            {"contacts": 0, "opportunities": 1, "subscriptions": 0, "campaign_members": 0},
            "opportunities need",
        ),
        ({"campaigns": 1, "leads": 2, "contacts": 1, "campaign_members": 4}, "exceeds"),
    ],
)
def test_sizes_are_checked(sizes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SeedSizes(**sizes)


def test_many_leads_load_with_indexes_rebuilt_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seed_module, "BULK_LOAD_THRESHOLD", 10)
    org = make_org()
    loads: list[str] = []
    bulk_loading = org.bulk_loading

    def spy(object_name: str) -> Any:
        loads.append(object_name)
        return bulk_loading(object_name)

    monkeypatch.setattr(org, "bulk_loading", spy)
    seed_org(org, sizes=SMALL)  # 40 leads into an empty table: bulk load
    seed_org(org, sizes=replace(SMALL, leads=20))  # fewer than exist: row by row
    assert loads == ["Lead"]
    indexes = {row[0] for row in org.db.conn.execute("SELECT name FROM sqlite_master")}
    assert {"Lead__Email", "Lead__SystemModstamp", "Lead__OwnerId"} <= indexes
    assert len(rows(org, "Lead")) == 60
