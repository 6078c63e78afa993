"""Asking for a prospect to join a Salesforce campaign with a member status.

The request is only remembered here, in the caller's transaction; the push engine creates or
updates the CampaignMember once the prospect has a lead or contact in Salesforce (at once if
it has one, else right after its first successful push).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadbridge.ports import Clock
from leadbridge.store.campaign_requests import CampaignRequestRepository


def request_crm_campaign(
    session: Session, clock: Clock, prospect_id: int, crm_campaign_id: str, status: str
) -> None:
    CampaignRequestRepository(session, clock).request(prospect_id, crm_campaign_id, status)
