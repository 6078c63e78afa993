"""CSV imports run from the console: one row per upload, with its progress and report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.users  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import Json, UtcDateTime

IMPORT_STATES = ("queued", "running", "done", "stopped", "failed", "interrupted")


class ImportRunRow(Base):
    """One upload: who and what file, how far it got (rows_done of total_rows), its counts
    by outcome and, for a run that stopped, failed or was interrupted, why (`error`). Its
    report is in `import_run_rows`."""

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
    chunks: Mapped[int | None] = mapped_column(Integer, default=None)  # by workers (jobs.py)
    counts: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'stopped', 'failed', 'interrupted')",
            name="status",
        ),
        Index("ix_import_runs_started_at", "started_at", "id"),
    )


class ImportRunRowRow(Base):
    """One line of an import's report, as the intake reported it; `attention` marks the
    rows that were not written (skipped, refused, not reached), which the page can list
    alone however long the file."""

    __tablename__ = "import_run_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    line: Mapped[int | None] = mapped_column(Integer, default=None)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(40))
    attention: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    prospect_id: Mapped[int | None] = mapped_column(Integer, default=None)
    crm_object: Mapped[str | None] = mapped_column(String(40), default=None)
    crm_id: Mapped[str | None] = mapped_column(String(18), default=None)
    warnings: Mapped[list[Any]] = mapped_column(Json, default=list)

    __table_args__ = (
        Index("ix_import_run_rows_run_id", "run_id", "id"),
        Index("ix_import_run_rows_attention", "run_id", "attention", "id"),
    )
