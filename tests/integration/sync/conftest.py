"""The push engine wired to the sandbox org: a fresh SQLite store, the connector added,
verified and resumed, users synced, and a real SalesforceClient that does not sleep between
retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.salesforce.retry import RetryPolicy
from leadbridge.store import (
    Database,
    ProspectRepository,
    SecretBox,
    UserRepository,
    open_database,
)
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.sync import PushEngine
from tests.conftest import NO_DATA, SandboxClient

# The store suite's fixtures: `db` runs a test on SQLite and on PostgreSQL.
from tests.integration.store.conftest import (  # noqa: F401
    clock,
    db,
    postgres_database,
    postgres_server,
    sqlite_template,
)


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def fast_client(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
    retry = RetryPolicy(attempts=2, base=0.01, sleep=lambda _: None)
    return SalesforceClient(
        credentials,
        budget_percent=settings.api_budget_percent,
        bulk_threshold=settings.bulk_threshold,
        retry=retry,
    )


@dataclass
class Wired:
    db: Database
    clock: MovableClock
    service: ConnectorService
    sandbox: SandboxClient
    rep_user_id: int  # a leadbridge user mapped to a sales rep

    @property
    def crm(self) -> SalesforceClient:
        client = self.service.client()
        assert isinstance(client, SalesforceClient)
        return client

    def engine(self, **options: Any) -> PushEngine:
        return PushEngine(self.db, self.crm, self.clock, **options)

    def add(self, email: str, *, assign: bool = True, **values: Any) -> int:
        return self.add_many([{"email": email, **values}], assign=assign)[0]

    def add_many(self, rows: list[dict[str, Any]], *, assign: bool = True) -> list[int]:
        """New prospects (assigned to the rep: each gets a push in the outbox)."""
        with self.db.session() as session:
            prospects = ProspectRepository(session, self.clock)
            ids = []
            for values in rows:
                prospect = prospects.add(values, origin=Origin.USER, actor="t")
                if assign:
                    prospects.assign(prospect.id, self.rep_user_id, origin=Origin.USER, actor="t")
                ids.append(prospect.id)
            return ids

    def edit(self, prospect_id: int, **values: Any) -> None:
        with self.db.session() as session:
            ProspectRepository(session, self.clock).update(
                prospect_id, values, origin=Origin.USER, actor="t"
            )

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        cursor = self.sandbox.server.backend.db.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.sandbox.control(method, path, body)


@pytest.fixture
def wired(tmp_path: Path, sandbox: SandboxClient) -> Iterator[Wired]:
    sandbox.control("POST", "/seed", {"users": 1, **NO_DATA})
    store = open_database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    moving = MovableClock()
    service = ConnectorService(store, moving, fast_client, SecretBox(tmp_path / "secret.key"))
    service.add_sandbox(Path(sandbox.credentials["ca_file"]).parent)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    with store.session() as session:
        admin = sandbox.credentials["username"].lower()
        rep = next(
            user
            for user in UserRepository(session).list()
            if user.crm_username and user.crm_username != admin
        )
    try:
        yield Wired(store, moving, service, sandbox, rep.id)
    finally:
        store.dispose()
