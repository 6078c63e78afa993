"""Form handlers get public ids that cannot be guessed: `/form-handlers/{public_id}`.

The public URL used to carry the row number, so anyone could walk 1, 2, 3… and post to every
handler. Existing handlers get a random id here (their old numeric URLs stop working: the
websites' forms must be updated with the URL `leadbridge forms show` prints).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC_ID_BYTES = 12  # as leadbridge.store.forms.new_public_id: 16 URL-safe characters


def upgrade() -> None:
    op.add_column("form_handlers", sa.Column("public_id", sa.String(length=32), nullable=True))
    handlers = sa.table("form_handlers", sa.column("id", sa.Integer), sa.column("public_id"))
    connection = op.get_bind()
    for (handler_id,) in connection.execute(sa.select(handlers.c.id)).all():
        connection.execute(
            handlers.update()
            .where(handlers.c.id == handler_id)
            .values(public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES))
        )
    with op.batch_alter_table("form_handlers") as batch:
        batch.alter_column("public_id", existing_type=sa.String(length=32), nullable=False)
    op.create_index("ix_form_handlers_public_id", "form_handlers", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_form_handlers_public_id", "form_handlers")
    with op.batch_alter_table("form_handlers") as batch:
        batch.drop_column("public_id")
