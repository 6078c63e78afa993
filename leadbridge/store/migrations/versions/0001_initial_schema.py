"""The initial schema: users, prospects, mirrors, fields and mappings, connector, sync.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEFAULT_TEXT_FIELDS = (
    ("salutation", 40), ("first_name", 40), ("last_name", 80), ("job_title", 128),
    ("department", 80), ("company", 255), ("website", 255), ("phone", 40), ("fax", 40),
    ("address_one", 255), ("address_two", 255), ("city", 40), ("state", 80), ("zip", 20),
    ("country", 80), ("industry", 255),
)  # fmt: skip


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _int(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _fk(column: str, target: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _one_of(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")


def _partial(table: str, name: str, columns: list[str], where: str, *, unique: bool = False,
             pg_where: str | None = None) -> None:  # fmt: skip
    op.create_index(name, table, columns, unique=unique, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(pg_where or where))  # fmt: skip


def upgrade() -> None:
    _users()
    _fields()
    _connector()
    _prospects()
    _mirrors()
    _sync()


def _users() -> None:
    op.create_table(
        "users",
        _id(),
        _str("email", 255),
        _str("email_key", 255),
        _str("name", 255),
        _str("role", 20),
        _bool("active"),
        _one_of("users", "role", ("admin", "marketing", "sales")),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email_key", name="uq_users_email_key"),
    )
    op.create_table(
        "user_crm_links",
        _int("user_id"),
        _str("crm_user_id", 18),
        _str("crm_username", 255),
        _fk("user_id", "users", "user_crm_links", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_crm_links"),
        sa.UniqueConstraint("crm_user_id", name="uq_user_crm_links_crm_user_id"),
        sa.UniqueConstraint("crm_username", name="uq_user_crm_links_crm_username"),
    )


def _fields() -> None:
    op.create_table(
        "custom_fields",
        _id(),
        _str("name", 63),
        _str("label", 255),
        _str("type", 20),
        _json("options"),
        _str("crm_field", 255, nullable=True),
        _one_of(
            "custom_fields",
            "type",
            ("text", "number", "date", "checkbox", "dropdown", "multiselect"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_custom_fields"),
        sa.UniqueConstraint("name", name="uq_custom_fields_name"),
    )
    op.create_table(
        "field_mappings",
        _id(),
        _str("field_name", 63),
        _str("lead_field", 255, nullable=True),
        _str("contact_field", 255, nullable=True),
        _str("behaviour", 20),
        _bool("blank_overwrites"),
        _bool("is_default"),
        _one_of("field_mappings", "behaviour", ("use_leadbridge", "use_salesforce", "most_recent")),
        sa.PrimaryKeyConstraint("id", name="pk_field_mappings"),
        sa.UniqueConstraint("field_name", name="uq_field_mappings_field_name"),
    )
    op.create_table(
        "account_field_mappings",
        _str("field", 63),
        _str("account_field", 255),
        sa.PrimaryKeyConstraint("field", name="pk_account_field_mappings"),
        sa.UniqueConstraint("account_field", name="uq_account_field_mappings_account_field"),
    )


def _connector() -> None:
    op.create_table(
        "connector",
        _id(),
        _str("login_url", 255),
        _str("auth_flow", 20),
        _str("username", 255, nullable=True),
        _str("client_id", 255, nullable=True),
        _str("ca_file", 1024, nullable=True),
        _str("edition", 20),
        _bool("paused"),
        _ts("verified_at"),
        _bool("auto_create_prospects"),
        _bool("apply_crm_email_changes"),
        _int("poll_interval_seconds"),
        _bool("sync_deletes_and_merges"),
        _int("api_budget_percent"),
        _str("placeholder_company", 255),
        _int("bulk_threshold"),
        sa.CheckConstraint("id = 1", name="ck_connector_single_row"),
        _one_of("connector", "auth_flow", ("password", "client_credentials", "jwt")),
        _one_of("connector", "edition", ("standard", "plus", "advanced")),
        sa.PrimaryKeyConstraint("id", name="pk_connector"),
    )
    op.create_table(
        "connector_secrets",
        _int("connector_id"),
        _str("name", 40),
        _text("ciphertext", nullable=True),
        _str("env_var", 255, nullable=True),
        sa.CheckConstraint(
            "(ciphertext IS NULL) <> (env_var IS NULL)", name="ck_connector_secrets_one_source"
        ),
        _fk("connector_id", "connector", "connector_secrets", "CASCADE"),
        sa.PrimaryKeyConstraint("connector_id", "name", name="pk_connector_secrets"),
    )
    op.create_table(
        "crm_schemas",
        _str("object_name", 255),
        _json("described"),
        _ts("fetched_at", nullable=False),
        sa.PrimaryKeyConstraint("object_name", name="pk_crm_schemas"),
    )
    op.create_table(
        "sync_cursors",
        _str("object_name", 255),
        _str("kind", 40),
        _text("value"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("object_name", "kind", name="pk_sync_cursors"),
    )


def _prospects() -> None:
    op.create_table(
        "marketing_campaigns",
        _id(),
        _str("name", 255),
        sa.PrimaryKeyConstraint("id", name="pk_marketing_campaigns"),
        sa.UniqueConstraint("name", name="uq_marketing_campaigns_name"),
    )
    op.create_table(
        "prospects",
        _id(),
        _str("email", 255),
        _str("email_key", 255),
        *(_str(name, length, nullable=True) for name, length in _DEFAULT_TEXT_FIELDS),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        _int("employees", nullable=True),
        _str("source", 255, nullable=True),
        _text("comments", nullable=True),
        _text("notes", nullable=True),
        _bool("opted_out"),
        _bool("do_not_email"),
        _bool("do_not_call"),
        _int("score"),
        _str("grade", 5, nullable=True),
        _int("marketing_campaign_id", nullable=True),
        _int("assigned_user_id", nullable=True),
        *(_str(f"crm_{kind}_id", 18, nullable=True) for kind in ("lead", "contact", "account")),
        _str("crm_owner_id", 18, nullable=True),
        _bool("do_not_sync"),
        _bool("recycled"),
        _bool("deleted_in_crm"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        _ts("last_crm_sync_at"),
        _fk("assigned_user_id", "users", "prospects", "SET NULL"),
        _fk("marketing_campaign_id", "marketing_campaigns", "prospects", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_prospects"),
    )
    _partial("prospects", "uq_prospects_live_email_key", ["email_key"], "recycled = 0",
             unique=True, pg_where="recycled = false")  # fmt: skip
    op.create_index("ix_prospects_email_key", "prospects", ["email_key"])
    for column in ("crm_lead_id", "crm_contact_id", "crm_account_id", "crm_owner_id"):
        _partial("prospects", f"ix_prospects_{column}", [column], f"{column} IS NOT NULL")
    for column in ("assigned_user_id", "marketing_campaign_id"):
        _partial(
            "prospects",
            f"ix_prospects_{column}",
            [column, "recycled", "id"],
            f"{column} IS NOT NULL",
        )
    op.create_index("ix_prospects_updated_at", "prospects", ["updated_at", "id"])
    _partial("prospects", "ix_prospects_recycled", ["id"], "recycled = 1",
             pg_where="recycled = true")  # fmt: skip
    op.create_table(
        "prospect_values",
        _int("prospect_id"),
        _int("field_id"),
        _text("value"),
        _str("value_key", 200),
        _fk("field_id", "custom_fields", "prospect_values", "CASCADE"),
        _fk("prospect_id", "prospects", "prospect_values", "CASCADE"),
        sa.PrimaryKeyConstraint("prospect_id", "field_id", name="pk_prospect_values"),
    )
    op.create_index(
        "ix_prospect_values_field_id_value_key", "prospect_values", ["field_id", "value_key"]
    )


def _mirrors() -> None:
    op.create_table(
        "crm_accounts",
        _id(),
        _str("crm_id", 18),
        _str("name", 255, nullable=True),
        _json("values"),
        _ts("crm_modified_at"),
        _ts("synced_at"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_accounts"),
        sa.UniqueConstraint("crm_id", name="uq_crm_accounts_crm_id"),
    )
    op.create_table(
        "crm_opportunities",
        _id(),
        _str("crm_id", 18),
        _str("name", 255),
        _str("stage", 255, nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        _bool("is_won"),
        _bool("is_closed"),
        _int("account_id", nullable=True),
        _ts("crm_modified_at"),
        _ts("synced_at"),
        _fk("account_id", "crm_accounts", "crm_opportunities", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_opportunities"),
        sa.UniqueConstraint("crm_id", name="uq_crm_opportunities_crm_id"),
    )
    op.create_index("ix_crm_opportunities_account_id", "crm_opportunities", ["account_id"])
    op.create_table(
        "crm_contact_roles",
        _id(),
        _str("crm_id", 18, nullable=True),
        _int("opportunity_id"),
        _int("prospect_id"),
        _str("role", 255, nullable=True),
        _bool("is_primary"),
        _fk("opportunity_id", "crm_opportunities", "crm_contact_roles", "CASCADE"),
        _fk("prospect_id", "prospects", "crm_contact_roles", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_contact_roles"),
        sa.UniqueConstraint("crm_id", name="uq_crm_contact_roles_crm_id"),
        sa.UniqueConstraint(
            "opportunity_id", "prospect_id", name="uq_crm_contact_roles_opportunity_id_prospect_id"
        ),
    )
    op.create_index("ix_crm_contact_roles_prospect_id", "crm_contact_roles", ["prospect_id"])
    op.create_table(
        "crm_campaigns",
        _id(),
        _str("crm_id", 18),
        _str("name", 255),
        _str("status", 255, nullable=True),
        _str("type", 255, nullable=True),
        _bool("is_active"),
        _ts("synced_at"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_campaigns"),
        sa.UniqueConstraint("crm_id", name="uq_crm_campaigns_crm_id"),
    )
    op.create_table(
        "crm_campaign_members",
        _id(),
        _str("crm_id", 18, nullable=True),
        _int("campaign_id"),
        _int("prospect_id"),
        _str("status", 255, nullable=True),
        _bool("has_responded"),
        _ts("synced_at"),
        _fk("campaign_id", "crm_campaigns", "crm_campaign_members", "CASCADE"),
        _fk("prospect_id", "prospects", "crm_campaign_members", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_campaign_members"),
        sa.UniqueConstraint("crm_id", name="uq_crm_campaign_members_crm_id"),
        sa.UniqueConstraint(
            "campaign_id", "prospect_id", name="uq_crm_campaign_members_campaign_id_prospect_id"
        ),
    )
    op.create_index("ix_crm_campaign_members_prospect_id", "crm_campaign_members", ["prospect_id"])
    op.create_table(
        "custom_object_types",
        _id(),
        _str("api_name", 255),
        _str("label", 255),
        _json("fields"),
        _ts("synced_at"),
        sa.PrimaryKeyConstraint("id", name="pk_custom_object_types"),
        sa.UniqueConstraint("api_name", name="uq_custom_object_types_api_name"),
    )
    op.create_table(
        "custom_object_records",
        _id(),
        _int("type_id"),
        _str("crm_id", 18),
        _json("values"),
        _int("prospect_id", nullable=True),
        _int("account_id", nullable=True),
        _ts("crm_modified_at"),
        _ts("synced_at"),
        _fk("account_id", "crm_accounts", "custom_object_records", "SET NULL"),
        _fk("prospect_id", "prospects", "custom_object_records", "SET NULL"),
        _fk("type_id", "custom_object_types", "custom_object_records", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_custom_object_records"),
        sa.UniqueConstraint("crm_id", name="uq_custom_object_records_crm_id"),
    )
    for columns in (["type_id", "id"], ["prospect_id"], ["account_id"]):
        op.create_index(f"ix_custom_object_records_{columns[0]}", "custom_object_records", columns)


def _sync() -> None:
    op.create_table(
        "sync_errors",
        _id(),
        _int("prospect_id", nullable=True),
        _str("crm_object", 255, nullable=True),
        _str("crm_id", 18, nullable=True),
        _str("error_code", 255),
        _text("message"),
        _json("fields"),
        _int("attempts"),
        _ts("first_seen_at", nullable=False),
        _ts("last_seen_at", nullable=False),
        _ts("resolved_at"),
        _fk("prospect_id", "prospects", "sync_errors", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_sync_errors"),
    )
    op.create_index("ix_sync_errors_prospect_id", "sync_errors", ["prospect_id"])
    _partial("sync_errors", "ix_sync_errors_open", ["id"], "resolved_at IS NULL")
    op.create_table(
        "audit_log",
        _id(),
        _int("prospect_id"),
        _str("field", 63),
        _text("old_value", nullable=True),
        _text("new_value", nullable=True),
        _ts("at", nullable=False),
        _str("origin", 20),
        _str("actor", 255, nullable=True),
        _one_of(
            "audit_log",
            "origin",
            ("user", "api", "import", "form", "automation", "salesforce", "system"),
        ),
        _fk("prospect_id", "prospects", "audit_log", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_prospect_id", "audit_log", ["prospect_id", "id"])
    op.create_table(
        "outbox",
        _id(),
        _str("kind", 40),
        _int("prospect_id", nullable=True),
        _str("reason", 255),
        _ts("created_at", nullable=False),
        _int("attempts"),
        _ts("available_at", nullable=False),
        _ts("done_at"),
        _text("last_error", nullable=True),
        _fk("prospect_id", "prospects", "outbox", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    _partial("outbox", "ix_outbox_pending", ["kind", "available_at", "id"], "done_at IS NULL")
    op.create_index("ix_outbox_prospect_id", "outbox", ["prospect_id"])


def downgrade() -> None:
    for table in (
        "outbox", "audit_log", "sync_errors", "custom_object_records", "custom_object_types",
        "crm_campaign_members", "crm_campaigns", "crm_contact_roles", "crm_opportunities",
        "crm_accounts", "prospect_values", "prospects", "marketing_campaigns", "sync_cursors",
        "crm_schemas", "connector_secrets", "connector", "account_field_mappings",
        "field_mappings", "custom_fields", "user_crm_links", "users",
    ):  # fmt: skip
        op.drop_table(table)
