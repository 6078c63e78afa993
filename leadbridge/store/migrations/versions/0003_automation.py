"""Automation: rules and their matches, user groups, form handlers and submissions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _str(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=False)


def _int(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)


def _fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    _rules()
    _groups()
    _forms()


def _rules() -> None:
    op.create_table(
        "automation_rules",
        _id(),
        _str("name", 255),
        _str("match", 3),
        _json("criteria"),
        _json("actions"),
        _bool("active"),
        _int("repeat_after_days", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("match IN ('all', 'any')", name="ck_automation_rules_match"),
        sa.CheckConstraint(
            "repeat_after_days IS NULL OR repeat_after_days >= 0",
            name="ck_automation_rules_repeat",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_automation_rules"),
        sa.UniqueConstraint("name", name="uq_automation_rules_name"),
    )
    op.create_table(
        "automation_rule_matches",
        _int("rule_id"),
        _int("prospect_id"),
        _ts("first_fired_at"),
        _ts("last_fired_at"),
        _int("times"),
        _fk("rule_id", "automation_rules", "automation_rule_matches"),
        _fk("prospect_id", "prospects", "automation_rule_matches"),
        sa.PrimaryKeyConstraint("rule_id", "prospect_id", name="pk_automation_rule_matches"),
    )
    op.create_index(
        "ix_automation_rule_matches_prospect_id", "automation_rule_matches", ["prospect_id"]
    )


def _groups() -> None:
    op.create_table(
        "user_groups",
        _id(),
        _str("name", 255),
        _int("last_position", nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_user_groups"),
        sa.UniqueConstraint("name", name="uq_user_groups_name"),
    )
    op.create_table(
        "user_group_members",
        _int("group_id"),
        _int("user_id"),
        _int("position"),
        _fk("group_id", "user_groups", "user_group_members"),
        _fk("user_id", "users", "user_group_members"),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_user_group_members"),
        sa.UniqueConstraint("group_id", "position", name="uq_user_group_members_group_id_position"),
    )
    op.create_index("ix_user_group_members_user_id", "user_group_members", ["user_id"])


def _forms() -> None:
    op.create_table(
        "form_handlers",
        _id(),
        _str("name", 255),
        _bool("active"),
        _bool("reject_unknown"),
        _json("field_map"),
        _json("required"),
        _json("actions"),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_form_handlers"),
        sa.UniqueConstraint("name", name="uq_form_handlers_name"),
    )
    op.create_table(
        "form_submissions",
        _id(),
        _int("handler_id"),
        _int("prospect_id"),
        _ts("at"),
        _json("payload"),
        _fk("handler_id", "form_handlers", "form_submissions"),
        _fk("prospect_id", "prospects", "form_submissions"),
        sa.PrimaryKeyConstraint("id", name="pk_form_submissions"),
    )
    op.create_index("ix_form_submissions_prospect_id", "form_submissions", ["prospect_id", "id"])
    op.create_index("ix_form_submissions_handler_id", "form_submissions", ["handler_id", "id"])


def downgrade() -> None:
    for table in (
        "form_submissions",
        "form_handlers",
        "user_group_members",
        "user_groups",
        "automation_rule_matches",
        "automation_rules",
    ):
        op.drop_table(table)
