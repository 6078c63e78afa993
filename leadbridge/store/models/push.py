"""What pushing to Salesforce remembers: each prospect's upsert key, the values both sides
last agreed on (echo suppression), and requests to add prospects to Salesforce campaigns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.prospects  # noqa: F401
from leadbridge.store.models.base import Base, one_of
from leadbridge.store.types import Json, StrEnumType, UtcDateTime


class ProspectCrmKeyRow(Base):
    """The prospect's value for Salesforce's LeadBridge_Prospect_Id__c, made once and
    committed before the first create, so a retried create upserts the same lead."""

    __tablename__ = "prospect_crm_keys"

    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    crm_key: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CrmSyncStateRow(Base):
    """Per prospect and Salesforce object: API name → the value both sides last held."""

    __tablename__ = "crm_sync_state"

    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    crm_object: Mapped[str] = mapped_column(String(40), primary_key=True)
    crm_id: Mapped[str | None] = mapped_column(String(18))
    values: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CrmSentValuesRow(Base):
    """Per prospect and Salesforce object: the values a push is about to send, written and
    committed before sending and cleared once the push's outcome is recorded. Left behind by
    a crash, they let the next sync recognise Salesforce holding them as leadbridge's own
    echo. `crm_id` is None for a lead being created."""

    __tablename__ = "crm_sent_values"

    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    crm_object: Mapped[str] = mapped_column(String(40), primary_key=True)
    crm_id: Mapped[str | None] = mapped_column(String(18))
    values: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CampaignRequestState(StrEnum):
    PENDING = "pending"  # waiting for the prospect's lead or contact, or the next run
    APPLIED = "applied"
    FAILED = "failed"  # Salesforce or the checks refused it; see last_error


class CampaignRequestRow(Base):
    """ "Add to Salesforce campaign with status", remembered until it can be applied."""

    __tablename__ = "crm_campaign_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    crm_campaign_id: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(255))
    state: Mapped[CampaignRequestState] = mapped_column(StrEnumType(CampaignRequestState))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(one_of("state", CampaignRequestState), name="state"),
        Index("ix_crm_campaign_requests_prospect_id", "prospect_id"),
    )


_PENDING = CampaignRequestRow.state == CampaignRequestState.PENDING.value
# Only pending requests: the index stays small however many have been applied.
Index(
    "ix_crm_campaign_requests_pending",
    CampaignRequestRow.id,
    sqlite_where=_PENDING,
    postgresql_where=_PENDING,
)


class CrmAssignmentRequestRow(Base):
    """A prospect to be pushed with Salesforce's active lead assignment rule on: written in
    the transaction of the action that asks for it, deleted in the transaction that records
    the owner Salesforce picked (so a crash in between pushes it again, rule on)."""

    __tablename__ = "crm_assignment_requests"

    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_by: Mapped[str | None] = mapped_column(String(255))
