"""The job queue of `leadbridge worker` (procrastinate) in its own schema, on PostgreSQL only.

procrastinate's tables, types and functions go in the schema `procrastinate` (the workers
connect with that search path: see leadbridge/workers/app.py), so leadbridge's own schema
stays what its models say. SQLite needs no job queue: one process runs the sync loop there.

The SQL is procrastinate's full schema of the version installed (pinned in pyproject.toml to
3.x). Upgrading procrastinate to a version with schema changes needs a new leadbridge
migration applying procrastinate's migration files for it (they ship in procrastinate/sql/
migrations).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "procrastinate"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    bind.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    bind.exec_driver_sql(f"SET LOCAL search_path TO {SCHEMA}")
    bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    bind.exec_driver_sql("SET LOCAL search_path TO DEFAULT")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
