"""The console: passwords, sessions, API keys, sign-in throttling, the settings audit trail;
the Sales manager role.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = "role IN ('admin', 'marketing', 'sales')"
NEW_ROLES = "role IN ('admin', 'marketing', 'sales_manager', 'sales')"


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def _change_role_check(allowed: str) -> None:
    """Replace the users table's role CHECK. SQLite cannot alter a constraint, so there the
    table is rebuilt (env.py turns foreign keys off meanwhile, so nothing cascades)."""
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", allowed)


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.String(length=255), nullable=True))
    _change_role_check(NEW_ROLES)
    op.create_table(
        "web_sessions",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("last_seen_at"),
        _when("expires_at"),
        _user_fk("web_sessions"),
        sa.PrimaryKeyConstraint("token_digest", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        _when("created_at"),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("api_keys"),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_digest", name="uq_api_keys_key_digest"),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("window_start"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_failures"),
    )
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("at"),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_settings_changes"),
    )
    op.create_index("ix_settings_changes_area_at", "settings_changes", ["area", "at"])


def downgrade() -> None:
    op.drop_table("settings_changes")
    op.drop_table("sign_in_failures")
    op.drop_table("api_keys")
    op.drop_table("web_sessions")
    op.execute("DELETE FROM users WHERE role = 'sales_manager'")
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", OLD_ROLES)
        batch.drop_column("password_hash")
