"""What "Send to leadbridge" brought in, kept for the results page the confirm redirects to
(so a refresh shows the results again instead of sending again). Kept a day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

# Its foreign key's table, so loading this model alone (see models/__init__) is complete.
import leadbridge.store.models.users  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import Json, UtcDateTime


class SendToResultRow(Base):
    """One confirmed send: who sent it, when, and each id's outcome (the gateway's
    `results`, at most 2,000 of them)."""

    __tablename__ = "send_to_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    results: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)

    __table_args__ = (Index("ix_send_to_results_created_at", "created_at"),)
