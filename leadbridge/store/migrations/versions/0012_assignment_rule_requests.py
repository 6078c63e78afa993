"""Prospects to be pushed with Salesforce's active lead assignment rule on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_assignment_requests",
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospects.id"],
            name="fk_crm_assignment_requests_prospect_id_prospects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prospect_id", name="pk_crm_assignment_requests"),
    )


def downgrade() -> None:
    op.drop_table("crm_assignment_requests")
