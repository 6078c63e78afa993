"""The mirror step against the sandbox org: what arrives after one step (synced prospects
only), what arrives incrementally, the edition gate, users, and the idle cost."""

from __future__ import annotations

import pytest

from leadbridge.errors import ConfigurationError
from leadbridge.store import ConnectorRepository, ProspectRepository, UserRepository
from leadbridge.store.mirrors import MirrorRepository
from leadbridge.store.mirrors_campaigns import CampaignMirrorRepository, campaign_statuses
from leadbridge.store.mirrors_custom import CustomObjectRepository
from leadbridge.store.models import Edition
from leadbridge.sync.mirrors import enable_custom_object
from tests.integration.mirrors.conftest import World

MIRRORED: tuple[str, ...] = (
    "Account",
    "Campaign",
    "CampaignMember",
    "CampaignMemberStatus",
    "Opportunity",
)
MIRRORED += ("OpportunityContactRole",)


def test_each_mirror_arrives_after_one_step_for_synced_prospects_only(world: World) -> None:
    ids = world.ids
    enable_custom_object(world.wired.db, world.wired.crm, world.clock, "subscription__c")
    summary = world.step()
    assert summary.stopped is None
    assert (summary.accounts, summary.account_links) == (1, 1)
    assert (summary.opportunities, summary.contact_roles) == (1, 1)
    assert (summary.campaigns, summary.campaign_statuses, summary.campaign_members) == (1, 3, 1)
    assert dict(summary.custom_records) == {"Subscription__c": 1}
    with world.wired.db.session() as session:
        mirrors = MirrorRepository(session)
        [account] = mirrors.accounts()
        assert (account.crm_id, account.name) == (ids["acme"], "Acme")
        assert account.values["industry"] == "Technology"
        assert account.prospect_ids == [world.prospect_id]
        prospect = ProspectRepository(session, world.clock).get(world.prospect_id)
        assert prospect.crm_account_id == ids["acme"]
        [deal] = mirrors.opportunities(prospect_id=world.prospect_id)
        assert (deal.crm_id, deal.stage, deal.amount) == (ids["deal"], "Prospecting", 1000.0)
        assert (deal.is_won, deal.is_closed, deal.account_crm_id) == (False, False, ids["acme"])
        assert [(r.prospect_id, r.role, r.is_primary) for r in deal.roles] == [
            (world.prospect_id, "Decision Maker", True)
        ]
        assert campaign_statuses(session, ids["webinar"]) == ["Sent", "Responded", "Attended"]
        [membership] = CampaignMirrorRepository(session).memberships(world.prospect_id)
        assert (membership.campaign_name, membership.status) == ("Webinar", "Sent")
        [record] = CustomObjectRepository(session).records("Subscription__c")
        assert (record.crm_id, record.prospect_id) == (ids["sub"], world.prospect_id)
        assert record.values["Plan__c"] == "Pro"


def test_updates_arrive_incrementally_and_an_idle_step_costs_one_call_per_object(
    world: World,
) -> None:
    ids = world.ids
    world.step()
    idle = world.step()
    assert dict(idle.calls_by_object) == dict.fromkeys(MIRRORED, 1)
    assert idle.api_calls == len(MIRRORED)
    world.update("Account", ids["acme"], {"Name": "Acme Corp", "Industry": "Finance"})
    world.update("Opportunity", ids["deal"], {"StageName": "Closed Won"})
    world.update("Account", ids["other"], {"Name": "Still not ours"})
    world.update("CampaignMember", ids["member"], {"Status": "Responded"})
    changed = world.step()
    assert (changed.accounts, changed.opportunities, changed.campaign_members) == (1, 1, 1)
    assert changed.api_calls == len(MIRRORED)
    with world.wired.db.session() as session:
        mirrors = MirrorRepository(session)
        [account] = mirrors.accounts()
        assert (account.name, account.values["industry"]) == ("Acme Corp", "Finance")
        [deal] = mirrors.opportunities()
        assert (deal.stage, deal.is_won, deal.is_closed) == ("Closed Won", True, True)
        [membership] = CampaignMirrorRepository(session).memberships(world.prospect_id)
        assert membership.status == "Responded"


def test_a_prospect_synced_later_brings_its_records(world: World) -> None:
    world.step()
    bob = world.push("bob@example.com")
    summary = world.step()
    assert (summary.accounts, summary.opportunities, summary.campaign_members) == (1, 1, 1)
    with world.wired.db.session() as session:
        assert [o.name for o in MirrorRepository(session).opportunities(prospect_id=bob)] == [
            "Other deal"
        ]


def test_custom_objects_are_refused_on_the_standard_edition(world: World) -> None:
    with world.wired.db.session() as session:
        connector = ConnectorRepository(session)
        config = connector.get()
        assert config is not None
        connector.save(config.__class__(**{**config.__dict__, "edition": Edition.STANDARD}))
    with pytest.raises(ConfigurationError, match="need the plus or advanced edition"):
        enable_custom_object(world.wired.db, world.wired.crm, world.clock, "Subscription__c")


def test_a_deactivated_salesforce_user_shows_up_and_keeps_its_mapping(world: World) -> None:
    first = world.step()
    assert first.users.polled
    with world.wired.db.session() as session:
        rep = UserRepository(session).get(world.wired.rep_user_id)
    assert rep.crm_user_id is not None
    world.update("User", rep.crm_user_id, {"IsActive": False})
    assert not world.step().users.polled  # daily by default
    world.wired.sandbox.control("POST", "/clock", {"advance_seconds": 25 * 3600})
    later = world.step()
    assert later.users.polled
    assert [u["user"] for u in later.users.deactivated] == [rep.email]
    with world.wired.db.session() as session:
        assert UserRepository(session).get(rep.id).crm_user_id == rep.crm_user_id


def test_a_standard_edition_step_skips_enabled_custom_objects_with_a_warning(world: World) -> None:
    enable_custom_object(world.wired.db, world.wired.crm, world.clock, "Subscription__c")
    with world.wired.db.session() as session:
        connector = ConnectorRepository(session)
        config = connector.get()
        assert config is not None
        connector.save(config.__class__(**{**config.__dict__, "edition": Edition.STANDARD}))
    summary = world.step()
    assert summary.warnings == [
        "Custom objects need the plus or advanced edition: Subscription__c not mirrored"
    ]
    assert "Subscription__c" not in summary.calls_by_object


def test_a_paused_connector_mirrors_nothing(world: World) -> None:
    world.wired.service.set_paused(True)
    summary = world.step()
    assert (summary.paused, summary.api_calls, summary.accounts) == (True, 0, 0)
