"""Send to leadbridge's results (send_to_results), for the page its confirm redirects to;
import runs may end "interrupted" (a restart cut them short).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
STATES = "'queued', 'running', 'done', 'stopped', 'failed'"


def _import_states(allowed: str) -> None:
    """Replace import_runs' status CHECK. SQLite cannot alter a constraint, so there the
    table is rebuilt (env.py turns foreign keys off meanwhile, so no report row cascades)."""
    with op.batch_alter_table("import_runs", recreate="auto") as batch:
        batch.drop_constraint("ck_import_runs_status", type_="check")
        batch.create_check_constraint("ck_import_runs_status", f"status IN ({allowed})")


def upgrade() -> None:
    op.create_table(
        "send_to_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_send_to_results_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_send_to_results"),
    )
    op.create_index("ix_send_to_results_created_at", "send_to_results", ["created_at"])
    _import_states(f"{STATES}, 'interrupted'")


def downgrade() -> None:
    op.execute("UPDATE import_runs SET status = 'failed' WHERE status = 'interrupted'")
    _import_states(STATES)
    op.drop_index("ix_send_to_results_created_at", table_name="send_to_results")
    op.drop_table("send_to_results")
