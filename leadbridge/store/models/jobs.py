"""Work handed to `leadbridge worker` processes in slices (PostgreSQL): a rule run over every
prospect, sliced by prospect id, and an import, its rows kept in chunks. Each slice or chunk
is one procrastinate job; its row says how far it got, written in the transaction of the work
it describes, so a job run again after a crash goes on where the last commit left it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.automation
import leadbridge.store.models.imports  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import Json, UtcDateTime

SLICE_STATES = ("pending", "done", "failed")


class RuleRunRow(Base):
    """One run of a rule (or of every active rule: `rule_id` None) over every live prospect,
    by workers; its progress is the sum of its slices'."""

    __tablename__ = "rule_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    total: Mapped[int] = mapped_column(Integer)  # live prospects when it started
    slices: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_rule_runs_rule_id", "rule_id", "id"),)


class RuleRunSliceRow(Base):
    """Prospects `first_id`..`last_id` of a run; `next_id` the last one gone through (its
    page's transaction moved it), and what the rules did to them so far."""

    __tablename__ = "rule_run_slices"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("rule_runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_id: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int] = mapped_column(Integer)
    next_id: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    prospects: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    first_failure: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),)


class ImportChunkRow(Base):
    """A chunk of an import's rows as uploaded (`rows`: [line, [cells…]] under `columns`),
    kept with the import run in one transaction; `status` turns done in the transaction
    that writes its prospects and its report rows."""

    __tablename__ = "import_chunks"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    columns: Mapped[list[Any]] = mapped_column(Json)
    rows: Mapped[list[Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (CheckConstraint("status IN ('pending', 'done', 'stopped')", name="status"),)
