"""Mirrored Salesforce campaigns, their member statuses, and synced prospects' memberships.

Member statuses (CampaignMemberStatus) are kept in the generic record mirror
(`custom_object_records`, under the type `CampaignMemberStatus`) until they get a table of
their own: each record's values are its CampaignId, Label, IsDefault, HasResponded, SortOrder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.store.mirrors import MirrorRepository, by_crm_id
from leadbridge.store.models import (
    CrmCampaignMemberRow,
    CrmCampaignRow,
    CustomObjectRecordRow,
    CustomObjectTypeRow,
)

STATUS_TYPE = "CampaignMemberStatus"


@dataclass(frozen=True)
class CampaignData:
    crm_id: str
    name: str
    status: str | None
    type: str | None
    is_active: bool


@dataclass(frozen=True)
class StatusData:
    crm_id: str
    campaign_crm_id: str
    label: str
    is_default: bool
    has_responded: bool
    sort_order: int | None


@dataclass(frozen=True)
class MemberData:
    crm_id: str
    campaign_crm_id: str
    person_crm_id: str  # the ContactId, else the LeadId
    status: str | None
    has_responded: bool


@dataclass(frozen=True)
class MirroredCampaign:
    crm_id: str
    name: str
    status: str | None
    type: str | None
    is_active: bool
    members: int


@dataclass(frozen=True)
class Membership:
    campaign_crm_id: str
    campaign_name: str
    prospect_id: int
    status: str | None
    has_responded: bool


class CampaignMirrorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_campaigns(self, campaigns: Sequence[CampaignData], at: datetime) -> int:
        rows = by_crm_id(self.session, CrmCampaignRow, [c.crm_id for c in campaigns])
        for campaign in campaigns:
            row = rows.get(campaign.crm_id) or CrmCampaignRow(crm_id=campaign.crm_id)
            row.name, row.status, row.type = campaign.name, campaign.status, campaign.type
            row.is_active, row.synced_at = campaign.is_active, at
            self.session.add(row)
            rows[campaign.crm_id] = row
        self.session.flush()
        return len(campaigns)

    def upsert_statuses(self, statuses: Sequence[StatusData], at: datetime) -> int:
        type_id = self._status_type_id(at)
        rows = by_crm_id(self.session, CustomObjectRecordRow, [s.crm_id for s in statuses])
        for status in statuses:
            row = rows.get(status.crm_id) or CustomObjectRecordRow(
                crm_id=status.crm_id, type_id=type_id
            )
            row.values = {
                "CampaignId": status.campaign_crm_id,
                "Label": status.label,
                "IsDefault": status.is_default,
                "HasResponded": status.has_responded,
                "SortOrder": status.sort_order,
            }
            row.synced_at = at
            self.session.add(row)
            rows[status.crm_id] = row
        self.session.flush()
        return len(statuses)

    def upsert_members(self, members: Sequence[MemberData], at: datetime) -> int:
        """Memberships of synced prospects in mirrored campaigns (others are skipped)."""
        campaigns = by_crm_id(
            self.session, CrmCampaignRow, sorted({m.campaign_crm_id for m in members})
        )
        people = MirrorRepository(self.session).prospects_by_person(
            m.person_crm_id for m in members
        )
        existing = by_crm_id(self.session, CrmCampaignMemberRow, [m.crm_id for m in members])
        stored = 0
        for member in members:
            campaign = campaigns.get(member.campaign_crm_id)
            prospect_id = people.get(member.person_crm_id)
            if campaign is None or prospect_id is None:
                continue
            row = existing.get(member.crm_id) or self.session.scalar(
                select(CrmCampaignMemberRow).where(
                    CrmCampaignMemberRow.campaign_id == campaign.id,
                    CrmCampaignMemberRow.prospect_id == prospect_id,
                )
            )
            row = row or CrmCampaignMemberRow(campaign_id=campaign.id, prospect_id=prospect_id)
            row.crm_id, row.status, row.has_responded = (
                member.crm_id,
                member.status,
                member.has_responded,
            )
            row.synced_at = at
            self.session.add(row)
            self.session.flush()
            stored += 1
        return stored

    def campaign_ids(self, crm_ids: Sequence[str]) -> set[str]:
        """Those of `crm_ids` already mirrored."""
        return set(by_crm_id(self.session, CrmCampaignRow, crm_ids))

    # -- reads -------------------------------------------------------------------------------

    def campaigns(self, *, active_only: bool = False) -> list[MirroredCampaign]:
        query = select(CrmCampaignRow).order_by(CrmCampaignRow.name)
        if active_only:
            query = query.where(CrmCampaignRow.is_active.is_(True))
        rows = list(self.session.scalars(query))
        counts: dict[int, int] = {}
        for campaign_id in self.session.scalars(select(CrmCampaignMemberRow.campaign_id)):
            counts[campaign_id] = counts.get(campaign_id, 0) + 1
        return [
            MirroredCampaign(
                row.crm_id, row.name, row.status, row.type, row.is_active, counts.get(row.id, 0)
            )
            for row in rows
        ]

    def memberships(self, prospect_id: int) -> list[Membership]:
        query = (
            select(CrmCampaignMemberRow, CrmCampaignRow)
            .join(CrmCampaignRow, CrmCampaignRow.id == CrmCampaignMemberRow.campaign_id)
            .where(CrmCampaignMemberRow.prospect_id == prospect_id)
            .order_by(CrmCampaignRow.name)
        )
        return [
            Membership(
                campaign.crm_id,
                campaign.name,
                member.prospect_id,
                member.status,
                member.has_responded,
            )
            for member, campaign in self.session.execute(query).all()
        ]

    def statuses(self) -> dict[str, list[str]]:
        """Campaign id → its member status labels (by sort order, then label)."""
        type_id = self.session.scalar(
            select(CustomObjectTypeRow.id).where(CustomObjectTypeRow.api_name == STATUS_TYPE)
        )
        if type_id is None:
            return {}
        found: dict[str, list[tuple[int, str]]] = {}
        values = self.session.scalars(
            select(CustomObjectRecordRow.values).where(CustomObjectRecordRow.type_id == type_id)
        )
        for value in values:
            entry: dict[str, Any] = dict(value or {})
            found.setdefault(str(entry.get("CampaignId")), []).append(
                (int(entry.get("SortOrder") or 0), str(entry.get("Label")))
            )
        return {
            campaign: [label for _, label in sorted(labels)] for campaign, labels in found.items()
        }

    def _status_type_id(self, at: datetime) -> int:
        row = self.session.scalar(
            select(CustomObjectTypeRow).where(CustomObjectTypeRow.api_name == STATUS_TYPE)
        )
        if row is None:
            row = CustomObjectTypeRow(
                api_name=STATUS_TYPE, label="Campaign Member Status", fields=[], synced_at=at
            )
            self.session.add(row)
            self.session.flush()
        return row.id


def campaign_statuses(session: Session, campaign_crm_id: str) -> list[str]:
    """The member statuses the "add to Salesforce campaign" action offers for a campaign."""
    return CampaignMirrorRepository(session).statuses().get(campaign_crm_id, [])
