"""Prospects, their custom field values, and leadbridge's own marketing campaigns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.fields
import leadbridge.store.models.users  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import UtcDateTime


class MarketingCampaignRow(Base):
    """leadbridge's campaigns (Pardot's): each prospect belongs to at most one."""

    __tablename__ = "marketing_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class ProspectRow(Base):
    __tablename__ = "prospects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    # lower(trim(email)): the identity; unique among live prospects (index below).
    email_key: Mapped[str] = mapped_column(String(255))
    salutation: Mapped[str | None] = mapped_column(String(40))
    first_name: Mapped[str | None] = mapped_column(String(40))
    last_name: Mapped[str | None] = mapped_column(String(80))
    job_title: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(80))
    company: Mapped[str | None] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    address_one: Mapped[str | None] = mapped_column(String(255))
    address_two: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(80))
    zip: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(80))
    industry: Mapped[str | None] = mapped_column(String(255))
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(255))
    comments: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    opted_out: Mapped[bool] = mapped_column(default=False)
    do_not_email: Mapped[bool] = mapped_column(default=False)
    do_not_call: Mapped[bool] = mapped_column(default=False)
    score: Mapped[int] = mapped_column(Integer, default=0)
    grade: Mapped[str | None] = mapped_column(String(5))
    marketing_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaigns.id", ondelete="SET NULL")
    )
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    crm_lead_id: Mapped[str | None] = mapped_column(String(18))
    crm_contact_id: Mapped[str | None] = mapped_column(String(18))
    crm_account_id: Mapped[str | None] = mapped_column(String(18))
    crm_owner_id: Mapped[str | None] = mapped_column(String(18))
    do_not_sync: Mapped[bool] = mapped_column(default=False)
    recycled: Mapped[bool] = mapped_column(default=False)
    deleted_in_crm: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_crm_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def _live() -> ColumnElement[bool]:
    """The live-prospect filter; queries use this same expression so that SQLite, which
    matches partial-index predicates term by term, picks the partial unique index."""
    return ProspectRow.recycled == false()


LIVE = _live()
RECYCLED = ProspectRow.recycled == true()

# Built after the class so the predicates can use the mapped columns.
Index(
    "uq_prospects_live_email_key",
    ProspectRow.email_key,
    unique=True,
    sqlite_where=LIVE,
    postgresql_where=LIVE,
)
Index("ix_prospects_email_key", ProspectRow.email_key)
# Partial on NOT NULL: unlinked prospects (most of an import) cost nothing in these, and
# `x IN (…)` / `x = …` imply NOT NULL, so both databases use them for lookups. Lists page
# by (recycled, id) within a user or campaign, so those indexes carry both.
for _column, _paged in (
    (ProspectRow.crm_lead_id, False),
    (ProspectRow.crm_contact_id, False),
    (ProspectRow.crm_account_id, False),
    (ProspectRow.crm_owner_id, False),
    (ProspectRow.assigned_user_id, True),
    (ProspectRow.marketing_campaign_id, True),
):
    Index(
        f"ix_prospects_{_column.key}",
        _column,
        *([ProspectRow.recycled, ProspectRow.id] if _paged else []),
        sqlite_where=_column.is_not(None),
        postgresql_where=_column.is_not(None),
    )
Index("ix_prospects_updated_at", ProspectRow.updated_at, ProspectRow.id)
# The console's list (migration 0009): newest first, and prefix search by name and company
# (email prefixes use ix_prospects_email_key). See store/prospect_search.py.
Index("ix_prospects_created_at", ProspectRow.created_at, ProspectRow.id)
Index("ix_prospects_first_name_lower", func.lower(ProspectRow.first_name))
Index("ix_prospects_last_name_lower", func.lower(ProspectRow.last_name))
Index("ix_prospects_company_lower", func.lower(ProspectRow.company))
# Only recycled prospects: a (recycled, id) index would tempt SQLite, without statistics,
# to scan every live prospect instead of using the email index.
Index("ix_prospects_recycled", ProspectRow.id, sqlite_where=RECYCLED, postgresql_where=RECYCLED)


class ProspectValueRow(Base):
    """One custom field's value for one prospect, as text (typed by the field's definition)."""

    __tablename__ = "prospect_values"

    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)
    # The value's first 200 characters: indexable on both databases whatever the value's
    # length (a PostgreSQL btree entry must stay under ~2.7 kB).
    value_key: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_prospect_values_field_id_value_key", "field_id", "value_key"),)
