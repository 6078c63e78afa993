"""Console imports (import_runs, and their reports in import_run_rows); indexes for the
Sync Errors and Audit log pages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("resolved_at IS NULL")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("undelete", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_rows", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'stopped', 'failed')",
            name="ck_import_runs_status",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_import_runs_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_import_runs"),
    )
    op.create_index("ix_import_runs_started_at", "import_runs", ["started_at", "id"])
    op.create_table(
        "import_run_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("attention", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("crm_object", sa.String(length=40), nullable=True),
        sa.Column("crm_id", sa.String(length=18), nullable=True),
        sa.Column("warnings", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["import_runs.id"],
            name="fk_import_run_rows_run_id_import_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_import_run_rows"),
    )
    op.create_index("ix_import_run_rows_run_id", "import_run_rows", ["run_id", "id"])
    op.create_index(
        "ix_import_run_rows_attention", "import_run_rows", ["run_id", "attention", "id"]
    )
    op.create_index(
        "ix_sync_errors_open_recent",
        "sync_errors",
        ["last_seen_at", "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_sync_errors_code_recent", "sync_errors", ["error_code", "last_seen_at", "id"]
    )
    op.create_index(
        "ix_sync_errors_open_code",
        "sync_errors",
        ["error_code"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_sync_errors_object_recent", "sync_errors", ["crm_object", "last_seen_at", "id"]
    )
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor", "id"])
    op.create_index("ix_audit_log_at_id", "audit_log", ["at", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at_id", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_id", table_name="audit_log")
    op.drop_index("ix_sync_errors_object_recent", table_name="sync_errors")
    op.drop_index("ix_sync_errors_open_code", table_name="sync_errors")
    op.drop_index("ix_sync_errors_code_recent", table_name="sync_errors")
    op.drop_index("ix_sync_errors_open_recent", table_name="sync_errors")
    op.drop_index("ix_import_run_rows_attention", table_name="import_run_rows")
    op.drop_index("ix_import_run_rows_run_id", table_name="import_run_rows")
    op.drop_table("import_run_rows")
    op.drop_index("ix_import_runs_started_at", table_name="import_runs")
    op.drop_table("import_runs")
