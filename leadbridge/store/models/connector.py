"""The one connector: how to log in, its settings, the org's described schema, sync cursors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.models.base import Base, one_of
from leadbridge.store.types import Json, StrEnumType, UtcDateTime


class AuthFlow(StrEnum):
    PASSWORD = "password"
    CLIENT_CREDENTIALS = "client_credentials"
    JWT = "jwt"


class Edition(StrEnum):
    """Salesforce-side licence level: custom objects need more than standard."""

    STANDARD = "standard"
    PLUS = "plus"
    ADVANCED = "advanced"


class ConnectorRow(Base):
    __tablename__ = "connector"

    # There is one connector: its id is always 1.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login_url: Mapped[str] = mapped_column(String(255))
    auth_flow: Mapped[AuthFlow] = mapped_column(StrEnumType(AuthFlow))
    username: Mapped[str | None] = mapped_column(String(255))
    client_id: Mapped[str | None] = mapped_column(String(255))
    # A CA bundle to trust instead of the system's (the sandbox org's own CA).
    ca_file: Mapped[str | None] = mapped_column(String(1024))
    edition: Mapped[Edition] = mapped_column(StrEnumType(Edition))
    paused: Mapped[bool] = mapped_column(default=True)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    auto_create_prospects: Mapped[bool] = mapped_column(default=False)
    apply_crm_email_changes: Mapped[bool] = mapped_column(default=False)
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=120)
    sync_deletes_and_merges: Mapped[bool] = mapped_column(default=True)
    api_budget_percent: Mapped[int] = mapped_column(Integer, default=50)
    placeholder_company: Mapped[str] = mapped_column(String(255), default="[not provided]")
    bulk_threshold: Mapped[int] = mapped_column(Integer, default=10000)
    # Take changes from Salesforce's Change Data Capture stream when the org publishes them.
    change_data_capture: Mapped[bool] = mapped_column(default=True)
    # host:port of the org's Pub/Sub API; None: Salesforce's own (api.pubsub.salesforce.com)
    pubsub_endpoint: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(one_of("auth_flow", AuthFlow), name="auth_flow"),
        CheckConstraint(one_of("edition", Edition), name="edition"),
    )


class ConnectorSecretRow(Base):
    """A credential: Fernet ciphertext, or the name of the environment variable holding it."""

    __tablename__ = "connector_secrets"

    connector_id: Mapped[int] = mapped_column(
        ForeignKey("connector.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    ciphertext: Mapped[str | None] = mapped_column(Text)
    env_var: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        CheckConstraint("(ciphertext IS NULL) <> (env_var IS NULL)", name="one_source"),
    )


class CrmSchemaRow(Base):
    """One object's describe result, as fetched by `connector verify`."""

    __tablename__ = "crm_schemas"

    object_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    described: Mapped[dict[str, Any]] = mapped_column(Json)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncCursorRow(Base):
    """Where an incremental read stopped, per object and kind (e.g. Lead/changed)."""

    __tablename__ = "sync_cursors"

    object_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ChangeStreamRow(Base):
    """The change stream of one topic: where it stopped (the replay id of the last event
    applied, written in the transaction that applied it) and how changes arrive now."""

    __tablename__ = "change_streams"

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    replay_id: Mapped[bytes | None] = mapped_column(LargeBinary)
    committed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # Salesforce's clock
    mode: Mapped[str] = mapped_column(String(20), default="polling")
    reason: Mapped[str] = mapped_column(Text, default="")
    mode_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the stream's last word
    events_applied: Mapped[int] = mapped_column(BigInteger, default=0)
    selected: Mapped[str | None] = mapped_column(Text)  # objects it publishes, from verify
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
