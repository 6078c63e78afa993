"""Console sign-in: sessions, API keys, failed sign-in counts, and the settings audit trail.

Session tokens and API keys are kept only as SHA-256 digests: a copy of the database does not
let anyone sign in. They are long random values, so a fast digest is enough (no salt needed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.users  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import UtcDateTime


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the key, shown in lists so a person can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SignInFailureRow(Base):
    """Failed sign-ins for one email (or one client address) since `window_start`."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SettingsChangeRow(Base):
    """One change made in the console or the CLI to settings that are not a prospect's:
    the connector, field mappings, users, rules, form handlers."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(255))
    area: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(100))
    old_value: Mapped[str | None] = mapped_column(Text, default=None)
    new_value: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_settings_changes_area_at", "area", "at"),)
