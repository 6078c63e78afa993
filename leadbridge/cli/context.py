"""What every command needs, built on demand from the settings (never at import time)."""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import Session

from leadbridge.automation.engine import run_rules_for
from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.settings import Settings, load_settings
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.database import Database, open_database
from leadbridge.store.secret_box import SecretBox
from leadbridge.sync.cycle import SyncCycle, sync_cycle
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


def sync_cycle_now(progress: ProgressCallback | None = None) -> SyncCycle:
    """One sync cycle as the CLI, `serve` and `make run` run it: pull (with automation rules
    run on what Salesforce changed, in the pull's transaction), then push."""
    now = clock()

    def run_rules(session: Session, prospect_ids: list[int]) -> None:
        run_rules_for(session, now, prospect_ids, Origin.SALESFORCE)

    return sync_cycle(
        database(), connector_service().client(), now, after_pull=run_rules, progress=progress
    )


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
