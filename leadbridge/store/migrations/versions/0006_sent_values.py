"""No lost update: the values a push is about to send, recorded before sending.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_sent_values",
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("crm_object", sa.String(length=40), nullable=False),
        sa.Column("crm_id", sa.String(length=18), nullable=True),
        sa.Column(
            "values", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospects.id"],
            name="fk_crm_sent_values_prospect_id_prospects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prospect_id", "crm_object", name="pk_crm_sent_values"),
    )


def downgrade() -> None:
    op.drop_table("crm_sent_values")
