"""The mirror repositories on SQLite and PostgreSQL: idempotent upserts, links to prospects,
and only synced prospects' memberships, roles and records."""

from __future__ import annotations

from datetime import UTC, date, datetime

from leadbridge.domain.fields import Origin
from leadbridge.store import Database, ProspectRepository
from leadbridge.store.mirrors import AccountData, MirrorRepository, OpportunityData, RoleData
from leadbridge.store.mirrors_campaigns import (
    CampaignData,
    CampaignMirrorRepository,
    MemberData,
    StatusData,
    campaign_statuses,
)
from leadbridge.store.mirrors_custom import CustomObjectRepository, CustomRecordData
from tests.integration.store.support import FakeClock

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CONTACT, OTHER_CONTACT, LEAD = "003000000000001AAA", "003000000000002AAA", "00Q000000000001AAA"
ACCOUNT, OPPORTUNITY, CAMPAIGN = "001000000000001AAA", "006000000000001AAA", "701000000000001AAA"


def linked_prospect(db: Database, clock: FakeClock) -> int:
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospect = prospects.add({"email": "ada@example.com"}, origin=Origin.USER, actor="t")
        prospects.link_crm(prospect.id, contact_id=CONTACT, lead_id=LEAD, synced_at=AT)
        return prospect.id


def test_accounts_opportunities_and_roles_upsert_idempotently(
    db: Database,
    clock: FakeClock,
) -> None:
    prospect_id = linked_prospect(db, clock)
    account = AccountData(ACCOUNT, "Acme", {"industry": "Technology"}, AT)
    opportunity = OpportunityData(
        OPPORTUNITY, "Deal", "Prospecting", 10.5, date(2027, 1, 1), False, False, ACCOUNT, AT
    )
    roles = [
        RoleData("00K000000000001AAA", OPPORTUNITY, CONTACT, "Evaluator", True),
        RoleData("00K000000000002AAA", OPPORTUNITY, OTHER_CONTACT, "Other", False),  # not ours
    ]
    for _ in range(2):
        with db.session() as session:
            mirrors = MirrorRepository(session)
            assert mirrors.set_account_links({CONTACT: ACCOUNT}) in (0, 1)
            mirrors.upsert_accounts([account], AT)
            mirrors.upsert_opportunities([opportunity], AT)
            assert mirrors.upsert_roles(roles) == 1
    with db.session(readonly=True) as session:
        mirrors = MirrorRepository(session)
        assert [p.contact_id for p in mirrors.linked_people(since=AT)] == [CONTACT]
        assert mirrors.linked_people(since=datetime(2027, 1, 1, tzinfo=UTC)) == []
        assert mirrors.account(ACCOUNT).prospect_ids == [prospect_id]
        [deal] = mirrors.opportunities(prospect_id=prospect_id)
        assert (deal.account_crm_id, deal.amount, deal.close_date) == (
            ACCOUNT,
            10.5,
            date(2027, 1, 1),
        )
        assert [(r.prospect_id, r.role, r.is_primary) for r in deal.roles] == [
            (prospect_id, "Evaluator", True)
        ]
        assert mirrors.linked_account_ids([ACCOUNT, "001000000000009AAA"]) == {ACCOUNT}


def test_campaigns_statuses_and_memberships_of_synced_prospects(
    db: Database,
    clock: FakeClock,
) -> None:
    prospect_id = linked_prospect(db, clock)
    with db.session() as session:
        campaigns = CampaignMirrorRepository(session)
        campaigns.upsert_campaigns([CampaignData(CAMPAIGN, "Webinar", None, None, True)], AT)
        campaigns.upsert_statuses(
            [
                StatusData("01Y000000000002AAA", CAMPAIGN, "Responded", False, True, 2),
                StatusData("01Y000000000001AAA", CAMPAIGN, "Sent", True, False, 1),
            ],
            AT,
        )
        members = [
            MemberData("00v000000000001AAA", CAMPAIGN, LEAD, "Sent", False),
            MemberData("00v000000000002AAA", CAMPAIGN, OTHER_CONTACT, "Sent", False),
        ]
        assert campaigns.upsert_members(members, AT) == 1
    with db.session(readonly=True) as session:
        assert campaign_statuses(session, CAMPAIGN) == ["Sent", "Responded"]
        assert campaign_statuses(session, "701000000000009AAA") == []
        [campaign] = CampaignMirrorRepository(session).campaigns()
        assert (campaign.name, campaign.members) == ("Webinar", 1)
        [membership] = CampaignMirrorRepository(session).memberships(prospect_id)
        assert membership.campaign_crm_id == CAMPAIGN
        assert CustomObjectRepository(session).enabled() == []  # statuses are not custom objects


def test_custom_object_records_keep_json_values_and_their_prospect(
    db: Database,
    clock: FakeClock,
) -> None:
    prospect_id = linked_prospect(db, clock)
    fields = [
        {"name": "Contact__c", "label": "Contact", "type": "reference", "reference_to": ["Contact"]}
    ]
    records = [
        CustomRecordData(
            "a01000000000001AAA", {"Plan__c": "Pro", "Seats__c": 3}, CONTACT, None, AT
        ),
        CustomRecordData("a01000000000002AAA", {"Plan__c": "Free"}, OTHER_CONTACT, None, AT),
    ]
    with db.session() as session:
        custom = CustomObjectRepository(session)
        kind = custom.enable("Subscription__c", "Subscription", fields, AT)
        assert kind.lookups() == {"Contact__c": "Contact"}
        assert custom.upsert_records("Subscription__c", records, AT) == 1
    with db.session(readonly=True) as session:
        [record] = CustomObjectRepository(session).records("Subscription__c")
        assert (record.prospect_id, record.values) == (
            prospect_id,
            {"Plan__c": "Pro", "Seats__c": 3},
        )
