"""What every command needs, built on demand from the settings (never at import time)."""

from __future__ import annotations

from functools import cache

from leadbridge.connector.service import ConnectorService
from leadbridge.ports import SystemClock
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.settings import Settings, load_settings
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.database import Database, open_database
from leadbridge.store.secret_box import SecretBox
from leadbridge.sync.push import Progress as ProgressCallback
from leadbridge.sync.push import PushEngine


@cache
def settings() -> Settings:
    return load_settings()


@cache
def database() -> Database:
    return open_database(settings().resolved_database_url)


def clock() -> SystemClock:
    return SystemClock()


def make_client(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
    """The Salesforce client, honouring the connector's API budget and Bulk threshold."""
    return SalesforceClient(
        credentials,
        budget_percent=settings.api_budget_percent,
        bulk_threshold=settings.bulk_threshold,
    )


def push_engine(progress: ProgressCallback | None = None) -> PushEngine:
    return PushEngine(database(), connector_service().client(), clock(), progress=progress)


def secret_box() -> SecretBox:
    return SecretBox(settings().home / "secret.key")


def connector_service() -> ConnectorService:
    return ConnectorService(database(), SystemClock(), make_client, secret_box())


def reset() -> None:
    """Forget cached settings and connections (tests run several CLI calls in one process)."""
    if database.cache_info().currsize:
        database().dispose()
    database.cache_clear()
    settings.cache_clear()
