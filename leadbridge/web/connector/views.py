"""What the connector page shows, read from the store in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadbridge.ports import Clock
from leadbridge.store.change_streams import ChangeStreamRepository, StreamState
from leadbridge.store.connector import ConnectorConfig, ConnectorRepository
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.connector_status import Health, health
from leadbridge.store.database import Database
from leadbridge.store.settings_changes import SettingsChange, SettingsChangeRepository
from leadbridge.store.sync_errors import SyncErrorRepository

AREA = "connector"
RECENT_CHANGES = 10


@dataclass(frozen=True)
class Status:
    kind: str  # badge kind: ok, warn, bad
    label: str  # Connected, Paused, Problems, Not verified, Not set up
    explanation: str


@dataclass(frozen=True)
class ConnectorView:
    config: ConnectorConfig | None
    settings: ConnectorSettings
    health: Health
    status: Status
    next_poll: datetime | None
    now: datetime
    changes: list[SettingsChange]
    stream: StreamState = field(default_factory=StreamState)

    @property
    def changes_arrive(self) -> str:
        """How Salesforce's changes reach leadbridge: streamed, or polled and why."""
        return self.stream.sentence(self.settings.poll_interval_seconds)


def _status(
    config: ConnectorConfig | None,
    found: Health,
    settings: ConnectorSettings,
    stream: StreamState | None = None,
) -> Status:
    if config is None:
        return Status(
            "bad",
            "Not set up",
            "There is no connector yet: add one with `leadbridge connector add`.",
        )
    if found.verify is not None and not found.verify.ok:
        return Status("bad", "Problems", "The last verify found problems: see below.")
    if config.verified_at is None:
        return Status(
            "warn", "Not verified", "Verify the connector to describe the org and map fields."
        )
    if config.paused:
        return Status(
            "warn",
            "Paused",
            "Automatic sync is stopped. “Sync with Salesforce” on a prospect still works.",
        )
    every = f"{settings.poll_interval_seconds:,} seconds"
    if stream is not None and stream.streaming:
        return Status("ok", "Connected", f"Streaming Salesforce's changes; pushing every {every}.")
    return Status("ok", "Connected", f"Syncing every {every}.")


def _next_poll(
    config: ConnectorConfig | None, last: datetime | None, settings: ConnectorSettings
) -> datetime | None:
    if config is None or config.paused or last is None:
        return None
    return last + timedelta(seconds=settings.poll_interval_seconds)


def connector_view(database: Database, clock: Clock, *, with_changes: bool = True) -> ConnectorView:
    with database.session(readonly=True) as session:
        repo = ConnectorRepository(session)
        config = repo.get()
        settings = repo.settings()
        found = health(session, repo, SyncErrorRepository(session, clock))
        changes = (
            SettingsChangeRepository(session).recent(AREA, limit=RECENT_CHANGES)
            if with_changes
            else []
        )
        stream = ChangeStreamRepository(session, clock).get()
    return ConnectorView(
        config=config,
        settings=settings,
        health=found,
        status=_status(config, found, settings, stream),
        next_poll=_next_poll(config, found.last_poll, settings),
        now=clock.now(),
        changes=changes,
        stream=stream,
    )
