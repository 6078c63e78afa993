"""What sync leaves behind: errors to fix, the audit log, and the outbox of work to do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.prospects  # noqa: F401
from leadbridge.domain.fields import Origin
from leadbridge.store.models.base import Base, one_of
from leadbridge.store.types import Json, StrEnumType, UtcDateTime


class SyncErrorRow(Base):
    __tablename__ = "sync_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    crm_object: Mapped[str | None] = mapped_column(String(255))
    crm_id: Mapped[str | None] = mapped_column(String(18))
    error_code: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(Json, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


Index("ix_sync_errors_prospect_id", SyncErrorRow.prospect_id)
Index(
    "ix_sync_errors_open",
    SyncErrorRow.id,
    sqlite_where=SyncErrorRow.resolved_at.is_(None),
    postgresql_where=SyncErrorRow.resolved_at.is_(None),
)
# The Sync Errors page: open errors newest first, and any errors of a code newest first.
Index(
    "ix_sync_errors_open_recent",
    SyncErrorRow.last_seen_at,
    SyncErrorRow.id,
    sqlite_where=SyncErrorRow.resolved_at.is_(None),
    postgresql_where=SyncErrorRow.resolved_at.is_(None),
)
Index(
    "ix_sync_errors_code_recent",
    SyncErrorRow.error_code,
    SyncErrorRow.last_seen_at,
    SyncErrorRow.id,
)
# Open errors counted by code (an index-only scan), and the objects errors are about.
Index(
    "ix_sync_errors_open_code",
    SyncErrorRow.error_code,
    sqlite_where=SyncErrorRow.resolved_at.is_(None),
    postgresql_where=SyncErrorRow.resolved_at.is_(None),
)
Index(
    "ix_sync_errors_object_recent",
    SyncErrorRow.crm_object,
    SyncErrorRow.last_seen_at,
    SyncErrorRow.id,
)


class AuditRow(Base):
    """One change to one prospect field: values as text, with who and where it came from."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(63))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    origin: Mapped[Origin] = mapped_column(StrEnumType(Origin))
    actor: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        CheckConstraint(one_of("origin", Origin), name="origin"),
        Index("ix_audit_log_prospect_id", "prospect_id", "id"),
        # The Audit log page: by actor, and by date, newest first.
        Index("ix_audit_log_actor_id", "actor", "id"),
        Index("ix_audit_log_at_id", "at", "id"),
    )


class OutboxRow(Base):
    """Work that must happen because of a change, written in the change's transaction."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A worker's claim: other workers skip the item until `claimed_until` has passed.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SyncLeaseRow(Base):
    """Who runs a job that must run once at a time (say "sync:default"), until when.

    The holder renews `expires_at` with heartbeats; anyone may take an expired lease."""

    __tablename__ = "sync_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


# "Needs push": only pending items are in this index, so it stays small however long the
# outbox's history grows.
Index(
    "ix_outbox_pending",
    OutboxRow.kind,
    OutboxRow.available_at,
    OutboxRow.id,
    sqlite_where=OutboxRow.done_at.is_(None),
    postgresql_where=OutboxRow.done_at.is_(None),
)
Index("ix_outbox_prospect_id", OutboxRow.prospect_id)
# A worker's claims (push jobs renew, check and give them back by `claimed_by`): only items
# claimed now are in it, so it stays small however long the history grows (migration 0015).
Index(
    "ix_outbox_claimed_by",
    OutboxRow.claimed_by,
    sqlite_where=OutboxRow.claimed_by.is_not(None),
    postgresql_where=OutboxRow.claimed_by.is_not(None),
)
