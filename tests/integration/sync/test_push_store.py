"""The push's store modules on SQLite and PostgreSQL: upsert keys, agreed values, links,
change times, and Salesforce campaign requests."""

from __future__ import annotations

import pytest

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError, NotFoundError
from leadbridge.store import (
    Database,
    OutboxRepository,
    ProspectRepository,
    SyncErrorRepository,
    UserRepository,
)
from leadbridge.store.campaign_requests import CampaignRequestRepository
from leadbridge.store.models import CampaignRequestState
from leadbridge.store.outbox import PUSH
from leadbridge.store.sync_state import Agreed, Link, SyncStateRepository
from tests.integration.store.support import FakeClock

CAMPAIGN = "701000000000001AAA"


def add(db: Database, clock: FakeClock, email: str) -> int:
    with db.session() as session:
        prospect = ProspectRepository(session, clock).add(
            {"email": email}, origin=Origin.USER, actor=None
        )
        return prospect.id


def test_keys_are_made_once_and_kept(db: Database, clock: FakeClock) -> None:
    first, second = add(db, clock, "a@example.com"), add(db, clock, "b@example.com")
    with db.session() as session:
        made = SyncStateRepository(session, clock).keys([first, second])
    with db.session() as session:
        again = SyncStateRepository(session, clock).keys([second, first, first])
    assert made == again
    assert made[first] != made[second]
    assert all(key.startswith("lb-") and len(key) <= 36 for key in made.values())


def test_agreed_values_merge_or_start_afresh(db: Database, clock: FakeClock) -> None:
    prospect_id = add(db, clock, "a@example.com")
    with db.session() as session:
        state = SyncStateRepository(session, clock)
        state.remember([Agreed(prospect_id, "Lead", "00Q1", {"Title": "CTO", "Phone": None})])
        state.remember([Agreed(prospect_id, "Lead", None, {"Title": "CEO", "_filled": {}})])
        state.remember([Agreed(prospect_id, "Contact", "0031", {"Title": "VP"})])
    with db.session() as session:
        state = SyncStateRepository(session, clock)
        assert state.agreed([prospect_id]) == {
            (prospect_id, "Lead"): {"Title": "CEO", "Phone": None, "_filled": {}},
            (prospect_id, "Contact"): {"Title": "VP"},
        }
        state.remember([Agreed(prospect_id, "Lead", "00Q2", {"Email": "a@x"})], replace=True)
        assert state.agreed([prospect_id])[(prospect_id, "Lead")] == {"Email": "a@x"}
        state.forget(prospect_id)
        assert state.agreed([prospect_id]) == {}


def test_links_many_prospects_without_touching_their_history(
    db: Database, clock: FakeClock
) -> None:
    ids = [add(db, clock, f"p{n}@example.com") for n in range(3)]
    clock.tick(60)
    with db.session() as session:
        state = SyncStateRepository(session, clock)
        state.link(
            [
                Link(ids[0], lead_id="00Q1", owner_id="0051", synced_at=clock.now()),
                Link(ids[1], contact_id="0031", synced_at=clock.now()),
            ]
        )
    with db.session() as session:
        linked = SyncStateRepository(session, clock).prospects(ids)
    assert (linked[ids[0]].crm_lead_id, linked[ids[0]].crm_owner_id) == ("00Q1", "0051")
    assert linked[ids[1]].crm_contact_id == "0031"
    assert linked[ids[1]].last_crm_sync_at == clock.now()
    assert linked[ids[2]].crm_id is None
    assert linked[ids[0]].updated_at < clock.now()  # a sync is not a local edit


def test_change_times_and_pending_pushes(db: Database, clock: FakeClock) -> None:
    prospect_id = add(db, clock, "a@example.com")
    with db.session() as session:
        user = UserRepository(session).add("rep@example.com", "Rep", "sales")
        prospects = ProspectRepository(session, clock)
        clock.tick()
        prospects.update(prospect_id, {"job_title": "CTO"}, origin=Origin.USER, actor=None)
        titled = clock.now()
        clock.tick()
        prospects.assign(prospect_id, user.id, origin=Origin.USER, actor=None)
    with db.session() as session:
        state = SyncStateRepository(session, clock)
        assert state.last_changes([prospect_id], ["job_title", "phone"]) == {
            prospect_id: {"job_title": titled}
        }
        [item] = state.pending_pushes([prospect_id])[prospect_id]
        assert item.kind == PUSH
        OutboxRepository(session, clock).mark_done([item.id])
        assert state.pending_pushes([prospect_id]) == {}


def test_open_errors_by_object(db: Database, clock: FakeClock) -> None:
    prospect_id = add(db, clock, "a@example.com")
    with db.session() as session:
        errors = SyncErrorRepository(session, clock)
        lead = errors.record(prospect_id, error_code="X", message="m", crm_object="Lead")
        errors.record(prospect_id, error_code="Y", message="m", crm_object="CampaignMember")
        none = errors.record(prospect_id, error_code="Z", message="m")
        state = SyncStateRepository(session, clock)
        found = state.open_errors([prospect_id], ["Lead", "Contact", None])
        assert sorted(found) == sorted([lead.id, none.id])
        assert state.open_errors([prospect_id], ["Lead"], except_codes=["X"]) == []


def test_campaign_requests_wait_for_salesforce_and_latest_status_wins(
    db: Database, clock: FakeClock
) -> None:
    prospect_id = add(db, clock, "a@example.com")
    with db.session() as session:
        requests = CampaignRequestRepository(session, clock)
        first = requests.request(prospect_id, CAMPAIGN, "Sent")
        second = requests.request(prospect_id, CAMPAIGN, " Responded ")
        assert second.id == first.id
        assert second.status == "Responded"
        assert requests.due() == []  # not in Salesforce yet
        SyncStateRepository(session, clock).link([Link(prospect_id, lead_id="00Q000000000001")])
        [due] = requests.due()
        assert (due.request.id, due.lead_id, due.contact_id) == (first.id, "00Q000000000001", None)
        assert requests.due(prospect_ids=[prospect_id + 1]) == []
        requests.mark_applied([first.id])
        assert requests.due() == []
        again = requests.request(prospect_id, CAMPAIGN, "Sent")  # a new change of status
        assert again.id != first.id
        requests.mark_failed(again.id, "no such status")
        [applied, failed] = requests.for_prospect(prospect_id)
        assert applied.state is CampaignRequestState.APPLIED
        assert (failed.state, failed.last_error) == (CampaignRequestState.FAILED, "no such status")


def test_campaign_requests_are_checked(db: Database, clock: FakeClock) -> None:
    prospect_id = add(db, clock, "a@example.com")
    with db.session() as session:
        requests = CampaignRequestRepository(session, clock)
        with pytest.raises(InputError, match="not a Salesforce id"):
            requests.request(prospect_id, "campaign-1", "Sent")
        with pytest.raises(InputError, match="member status"):
            requests.request(prospect_id, CAMPAIGN, " ")
        with pytest.raises(NotFoundError):
            requests.request(prospect_id + 99, CAMPAIGN, "Sent")
