"""Requests to add prospects to Salesforce campaigns with a member status.

Completion actions and automation rules call `request`, whether or not the prospect is in
Salesforce yet; the sync engine applies the requests whose prospect has a lead or contact
(right after its first push, or at the next run), so the order of actions never matters.
A newer request for the same prospect and campaign replaces a pending one (latest status
wins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.chunks import chunked
from leadbridge.store.models import (
    LIVE,
    CampaignRequestRow,
    CampaignRequestState,
    ProspectRow,
)

MAX_STATUS = 255
MAX_DUE = 10_000
_CRM_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
PENDING = CampaignRequestState.PENDING


@dataclass(frozen=True)
class CampaignRequest:
    id: int
    prospect_id: int
    crm_campaign_id: str
    status: str
    state: CampaignRequestState
    requested_at: datetime
    applied_at: datetime | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class DueRequest:
    """A pending request whose prospect is in Salesforce, with its lead and contact ids."""

    request: CampaignRequest
    lead_id: str | None
    contact_id: str | None


def _snapshot(row: CampaignRequestRow) -> CampaignRequest:
    return CampaignRequest(
        row.id,
        row.prospect_id,
        row.crm_campaign_id,
        row.status,
        row.state,
        row.requested_at,
        row.applied_at,
        row.attempts,
        row.last_error,
    )


class CampaignRequestRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def request(self, prospect_id: int, crm_campaign_id: str, status: str) -> CampaignRequest:
        """Remember "add this prospect to that Salesforce campaign with this status"."""
        campaign = crm_campaign_id.strip()
        if not _CRM_ID.match(campaign):
            raise InputError(
                f"{crm_campaign_id!r} is not a Salesforce id", item="Salesforce campaign"
            )
        label = status.strip()
        if not 1 <= len(label) <= MAX_STATUS:
            raise InputError(f"give 1 to {MAX_STATUS} characters", item="member status")
        if self.session.get(ProspectRow, prospect_id) is None:
            raise NotFoundError(f"no prospect with id {prospect_id}")
        row = self.session.scalar(
            select(CampaignRequestRow).where(
                CampaignRequestRow.prospect_id == prospect_id,
                CampaignRequestRow.crm_campaign_id == campaign,
                CampaignRequestRow.state == PENDING,
            )
        )
        now = self.clock.now()
        if row is None:
            row = CampaignRequestRow(
                prospect_id=prospect_id,
                crm_campaign_id=campaign,
                state=PENDING,
                attempts=0,
            )
            self.session.add(row)
        row.status, row.requested_at, row.last_error = label, now, None
        self.session.flush()
        return _snapshot(row)

    def for_prospect(self, prospect_id: int) -> list[CampaignRequest]:
        query = select(CampaignRequestRow).where(CampaignRequestRow.prospect_id == prospect_id)
        rows = self.session.scalars(query.order_by(CampaignRequestRow.id))
        return [_snapshot(row) for row in rows]

    def due(
        self, limit: int = 2000, *, prospect_ids: Sequence[int] | None = None
    ) -> list[DueRequest]:
        """Pending requests whose prospect is live, may sync and has a lead or contact;
        only those of `prospect_ids` when given. Oldest first."""
        if not 1 <= limit <= MAX_DUE:
            raise InputError(f"must be between 1 and {MAX_DUE}", item="limit")
        query = (
            select(CampaignRequestRow, ProspectRow.crm_lead_id, ProspectRow.crm_contact_id)
            .join(ProspectRow, ProspectRow.id == CampaignRequestRow.prospect_id)
            .where(
                CampaignRequestRow.state == PENDING,
                LIVE,
                ProspectRow.do_not_sync.is_(False),
                or_(ProspectRow.crm_lead_id.is_not(None), ProspectRow.crm_contact_id.is_not(None)),
            )
            .order_by(CampaignRequestRow.id)
        )
        chunks = [None] if prospect_ids is None else list(chunked(prospect_ids))
        found: list[DueRequest] = []
        for chunk in chunks:
            narrowed = query if chunk is None else query.where(ProspectRow.id.in_(chunk))
            for row, lead_id, contact_id in self.session.execute(
                narrowed.limit(limit - len(found))
            ):
                found.append(DueRequest(_snapshot(row), lead_id, contact_id))
            if len(found) >= limit:
                break
        return found

    def mark_applied(self, ids: Sequence[int]) -> None:
        now = self.clock.now()
        for chunk in chunked(ids):
            self.session.execute(
                update(CampaignRequestRow)
                .where(CampaignRequestRow.id.in_(chunk))
                .values(
                    state=CampaignRequestState.APPLIED,
                    applied_at=now,
                    attempts=CampaignRequestRow.attempts + 1,
                    last_error=None,
                )
            )

    def mark_failed(self, request_id: int, error: str) -> None:
        """Stop trying: the request stays visible with why (a new request replaces it)."""
        row = self.session.get(CampaignRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"no campaign request {request_id}")
        row.state, row.last_error = CampaignRequestState.FAILED, error
        row.attempts += 1
        self.session.flush()

    def retry_later(self, request_id: int, error: str) -> None:
        """Count a failed attempt; the request stays pending for the next run."""
        row = self.session.get(CampaignRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"no campaign request {request_id}")
        row.attempts += 1
        row.last_error = error
        self.session.flush()
