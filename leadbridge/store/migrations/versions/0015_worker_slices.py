"""Rule runs and imports by workers, in slices and chunks (leadbridge/store/models/jobs.py);
an index of the outbox's live claims by worker (a push job gives its claims back by
`claimed_by`: without it, a scan of the outbox's whole history, ~2 s at 10,000,000 items).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index(
        "ix_outbox_claimed_by",
        "outbox",
        ["claimed_by"],
        sqlite_where=sa.text("claimed_by IS NOT NULL"),
        postgresql_where=sa.text("claimed_by IS NOT NULL"),
    )
    with op.batch_alter_table("import_runs") as table:
        table.add_column(sa.Column("chunks", sa.Integer(), nullable=True))
    op.create_table(
        "rule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("slices", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name="fk_rule_runs_rule_id_automation_rules",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rule_runs"),
    )
    op.create_index("ix_rule_runs_rule_id", "rule_runs", ["rule_id", "id"])
    op.create_table(
        "rule_run_slices",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("next_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("prospects", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("first_failure", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("done_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'failed')", name="ck_rule_run_slices_status"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rule_runs.id"],
            name="fk_rule_run_slices_run_id_rule_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_rule_run_slices"),
    )
    op.create_table(
        "import_chunks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("rows", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'stopped')", name="ck_import_chunks_status"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["import_runs.id"],
            name="fk_import_chunks_run_id_import_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_import_chunks"),
    )


def downgrade() -> None:
    op.drop_table("import_chunks")
    op.drop_table("rule_run_slices")
    op.drop_index("ix_rule_runs_rule_id", "rule_runs")
    op.drop_table("rule_runs")
    with op.batch_alter_table("import_runs") as table:
        table.drop_column("chunks")
    op.drop_index("ix_outbox_claimed_by", "outbox")
