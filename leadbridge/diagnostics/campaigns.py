"""Sync errors about Salesforce campaign membership, and retrying them.

A failed "add to Salesforce campaign" request stays failed (`store.campaign_requests`); a
new request for the same campaign is how it is tried again, so a retry asks again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadbridge.domain.matching import MULTIPLE_MATCHES
from leadbridge.domain.pull import PULL_WARNINGS
from leadbridge.domain.why import ErrorEffect
from leadbridge.ports import Clock
from leadbridge.store.campaign_requests import CampaignRequest, CampaignRequestRepository
from leadbridge.store.models import CampaignRequestState
from leadbridge.store.sync_errors import SyncError

CAMPAIGN_MEMBER = "CampaignMember"  # Salesforce's object for a campaign's members


def effect_of(error: SyncError) -> ErrorEffect:
    if error.error_code == MULTIPLE_MATCHES or error.error_code in PULL_WARNINGS:
        return ErrorEffect.WARNING
    if error.crm_object == CAMPAIGN_MEMBER:
        return ErrorEffect.CAMPAIGN
    return ErrorEffect.PUSH


def _latest(session: Session, clock: Clock, prospect_id: int) -> list[CampaignRequest]:
    """The prospect's newest request per Salesforce campaign."""
    latest: dict[str, CampaignRequest] = {}
    for request in CampaignRequestRepository(session, clock).for_prospect(prospect_id):
        latest[request.crm_campaign_id] = request
    return list(latest.values())


def has_pending_request(session: Session, clock: Clock, prospect_id: int) -> bool:
    pending = CampaignRequestState.PENDING
    return any(r.state == pending for r in _latest(session, clock, prospect_id))


def request_again(session: Session, clock: Clock, prospect_id: int) -> int:
    """Ask again for the prospect's failed campaign requests (same campaign and status);
    how many."""
    repo = CampaignRequestRepository(session, clock)
    failed = [
        request
        for request in _latest(session, clock, prospect_id)
        if request.state == CampaignRequestState.FAILED
    ]
    for request in failed:
        repo.request(prospect_id, request.crm_campaign_id, request.status)
    return len(failed)
