"""One runner: the sync_leases table, claim columns on the outbox for workers, and the form
spool's id on form submissions (a spooled post lands once).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sync_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        _ts("acquired_at"),
        _ts("heartbeat_at"),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("name", name="pk_sync_leases"),
    )
    op.add_column("outbox", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("outbox", _ts("claimed_until", nullable=True))
    op.add_column("form_submissions", sa.Column("spool_id", sa.String(length=40), nullable=True))
    op.create_index("ix_form_submissions_spool_id", "form_submissions", ["spool_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_form_submissions_spool_id", "form_submissions")
    with op.batch_alter_table("form_submissions") as batch:
        batch.drop_column("spool_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
    op.drop_table("sync_leases")
