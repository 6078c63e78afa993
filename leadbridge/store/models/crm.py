"""Read-only mirrors of Salesforce records that the pull direction fills.

Each row keeps the Salesforce id (unique), the few columns leadbridge queries on, and the
rest of the record's mapped values as JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.prospects  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import Json, UtcDateTime


class CrmAccountRow(Base):
    """A prospect account: the Salesforce Account behind a contact."""

    __tablename__ = "crm_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    values: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    crm_modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CrmOpportunityRow(Base):
    __tablename__ = "crm_opportunities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[float | None] = mapped_column(Float)
    close_date: Mapped[date | None]
    is_won: Mapped[bool] = mapped_column(default=False)
    is_closed: Mapped[bool] = mapped_column(default=False)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_accounts.id", ondelete="SET NULL"), index=True
    )
    crm_modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CrmContactRoleRow(Base):
    """A prospect's role on an opportunity (OpportunityContactRole)."""

    __tablename__ = "crm_contact_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("crm_opportunities.id", ondelete="CASCADE")
    )
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(255))
    is_primary: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("opportunity_id", "prospect_id"),)


class CrmCampaignRow(Base):
    """A Salesforce campaign (not leadbridge's own marketing campaign)."""

    __tablename__ = "crm_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CrmCampaignMemberRow(Base):
    __tablename__ = "crm_campaign_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("crm_campaigns.id", ondelete="CASCADE"))
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str | None] = mapped_column(String(255))
    has_responded: Mapped[bool] = mapped_column(default=False)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("campaign_id", "prospect_id"),)


class CustomObjectTypeRow(Base):
    """A Salesforce custom object leadbridge mirrors (needs more than the standard edition)."""

    __tablename__ = "custom_object_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_name: Mapped[str] = mapped_column(String(255), unique=True)
    label: Mapped[str] = mapped_column(String(255))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CustomObjectRecordRow(Base):
    __tablename__ = "custom_object_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("custom_object_types.id", ondelete="CASCADE"))
    crm_id: Mapped[str] = mapped_column(String(18), unique=True)
    values: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_accounts.id", ondelete="SET NULL")
    )
    crm_modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_custom_object_records_type_id", "type_id", "id"),
        Index("ix_custom_object_records_prospect_id", "prospect_id"),
        Index("ix_custom_object_records_account_id", "account_id"),
    )
