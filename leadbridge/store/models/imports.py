"""CSV imports run from the console: one row per upload, with its progress and report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.models.base import Base
from leadbridge.store.types import Json, UtcDateTime

IMPORT_STATES = ("queued", "running", "done", "stopped", "failed")


class ImportRunRow(Base):
    """One upload: who and what file, how far it got (rows_done of total_rows), its counts
    by outcome, the per-row report (`results`, as the intake reports them) and, for a run
    that stopped or failed, why (`error`)."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    undelete: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    total_rows: Mapped[int | None] = mapped_column(Integer, default=None)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    results: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'stopped', 'failed')", name="status"
        ),
        Index("ix_import_runs_started_at", "started_at", "id"),
    )
