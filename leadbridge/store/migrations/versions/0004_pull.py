"""Pull: no new tables (cursors and the echo memory already exist); keeps the chain whole.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the pull uses sync_cursors and crm_sync_state."""


def downgrade() -> None:
    """Nothing to undo."""
