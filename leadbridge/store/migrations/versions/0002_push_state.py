"""Push state: prospects' upsert keys, agreed values per Salesforce record, campaign requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _prospect_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["prospect_id"], ["prospects.id"], name=f"fk_{table}_prospect_id_prospects",
        ondelete="CASCADE",
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "prospect_crm_keys",
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("crm_key", sa.String(length=36), nullable=False),
        _ts("created_at"),
        _prospect_fk("prospect_crm_keys"),
        sa.PrimaryKeyConstraint("prospect_id", name="pk_prospect_crm_keys"),
        sa.UniqueConstraint("crm_key", name="uq_prospect_crm_keys_crm_key"),
    )
    op.create_table(
        "crm_sync_state",
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("crm_object", sa.String(length=40), nullable=False),
        sa.Column("crm_id", sa.String(length=18), nullable=True),
        sa.Column(
            "values", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        _ts("synced_at"),
        _prospect_fk("crm_sync_state"),
        sa.PrimaryKeyConstraint("prospect_id", "crm_object", name="pk_crm_sync_state"),
    )
    op.create_table(
        "crm_campaign_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("crm_campaign_id", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        _ts("requested_at"),
        _ts("applied_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'applied', 'failed')", name="ck_crm_campaign_requests_state"
        ),
        _prospect_fk("crm_campaign_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_campaign_requests"),
    )
    op.create_index(
        "ix_crm_campaign_requests_prospect_id", "crm_campaign_requests", ["prospect_id"]
    )
    op.create_index(
        "ix_crm_campaign_requests_pending", "crm_campaign_requests", ["id"],
        sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"),
    )  # fmt: skip


def downgrade() -> None:
    for table in ("crm_campaign_requests", "crm_sync_state", "prospect_crm_keys"):
        op.drop_table(table)
