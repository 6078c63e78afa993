"""The console's prospect list: an index to list newest first, and indexes for prefix
search by first name, last name and company (lower-cased expressions; email prefixes use
ix_prospects_email_key).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOWERED = ("first_name", "last_name", "company")


def upgrade() -> None:
    op.create_index("ix_prospects_created_at", "prospects", ["created_at", "id"])
    for column in LOWERED:
        op.create_index(f"ix_prospects_{column}_lower", "prospects", [sa.text(f"lower({column})")])


def downgrade() -> None:
    for column in reversed(LOWERED):
        op.drop_index(f"ix_prospects_{column}_lower", table_name="prospects")
    op.drop_index("ix_prospects_created_at", table_name="prospects")
