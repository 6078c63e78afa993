"""Form posts as received, applied later (PostgreSQL's form intake).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="ck_form_posts_status"),
        sa.ForeignKeyConstraint(
            ["handler_id"],
            ["form_handlers.id"],
            name="fk_form_posts_handler_id_form_handlers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_form_posts"),
    )
    op.create_index("ix_form_posts_status_id", "form_posts", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_form_posts_status_id", "form_posts")
    op.drop_table("form_posts")
