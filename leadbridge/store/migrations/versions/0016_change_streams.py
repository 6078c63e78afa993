"""Change Data Capture: where each change stream stopped and how changes arrive
(`change_streams`); the connector's `change_data_capture` setting and Pub/Sub endpoint.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("connector") as table:
        table.add_column(
            sa.Column("change_data_capture", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        table.add_column(sa.Column("pubsub_endpoint", sa.String(length=255), nullable=True))
    op.create_table(
        "change_streams",
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("replay_id", sa.LargeBinary(), nullable=True),
        sa.Column("committed_at", WHEN, nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("mode_since", WHEN, nullable=True),
        sa.Column("heartbeat_at", WHEN, nullable=True),
        sa.Column("events_applied", sa.BigInteger(), nullable=False),
        sa.Column("selected", sa.Text(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("topic", name="pk_change_streams"),
    )


def downgrade() -> None:
    op.drop_table("change_streams")
    with op.batch_alter_table("connector") as table:
        table.drop_column("pubsub_endpoint")
        table.drop_column("change_data_capture")
