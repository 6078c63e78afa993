"""Push benchmark: 10,000 new assigned prospects to an embedded sandbox org, a quarter of them
matching existing contacts and a quarter existing leads; then a second run with nothing
changed. Prints the API calls spent and the prospects pushed per second.

    python -m bench.push [PROSPECTS]
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import SeedSizes, seed_org
from leadbridge.store import (
    Database,
    ProspectRepository,
    SecretBox,
    UserRepository,
    open_database,
)
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.sync import PushEngine

PROSPECTS = 10_000
NOTHING_BUT_USERS = SeedSizes(
    users=2, accounts=0, contacts=0, leads=0, opportunities=0, campaigns=0,
    campaign_members=0, subscriptions=0,
)  # fmt: skip


def _email(number: int) -> str:
    return f"person.{number}@bench{number % 97}.example.com"


def _client(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
    return SalesforceClient(
        credentials,
        budget_percent=settings.api_budget_percent,
        bulk_threshold=settings.bulk_threshold,
    )


def _seed_org(server: SandboxServer, count: int) -> None:
    """Users, then contacts for the first quarter of the emails and leads for the second."""
    org = server.backend.org
    seed_org(org, seed=1, sizes=NOTHING_BUT_USERS)
    quarter = count // 4
    org.insert_raw("Contact", [{"LastName": f"C{n}", "Email": _email(n)} for n in range(quarter)])
    org.insert_raw(
        "Lead",
        [
            {"LastName": f"L{n}", "Company": "Bench", "Email": _email(n)}
            for n in range(quarter, 2 * quarter)
        ],
    )


def _connect(db: Database, server: SandboxServer, home: Path) -> ConnectorService:
    service = ConnectorService(db, SystemClock(), _client, SecretBox(home / "secret.key"))
    service.add_sandbox(Path(server.ca_file).parent)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    return service


def _prospects(db: Database, server: SandboxServer, count: int) -> None:
    """New prospects, each assigned to a sales rep (so each has a push in the outbox)."""
    admin = server.credentials["username"].lower()
    rows: Any = (
        {"email": _email(n), "first_name": f"First{n}", "last_name": f"Last{n}",
         "company": "Bench", "job_title": "Engineer", "score": n % 100}
        for n in range(count)
    )  # fmt: skip
    clock = SystemClock()
    with db.session() as session:
        users = UserRepository(session)
        rep = next(u for u in users.list() if u.crm_username and u.crm_username != admin)
        prospects = ProspectRepository(session, clock)
        prospects.bulk_insert(rows, origin=Origin.IMPORT)
        for prospect in prospects.list(limit=count):
            prospects.assign(prospect.id, rep.id, origin=Origin.AUTOMATION, actor="bench")


def push_bench(prospects: int = PROSPECTS) -> Iterator[tuple[str, float, str, str]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxServer(
            SandboxConfig(data_dir=Path(tmp) / "org", memory=True, random_seed=1)
        ) as server,
    ):
        _seed_org(server, prospects)
        db = open_database(f"sqlite:///{Path(tmp) / 'store.sqlite3'}")
        try:
            service = _connect(db, server, Path(tmp))
            _prospects(db, server, prospects)
            engine = PushEngine(db, service.client(), SystemClock())
            started = time.perf_counter()
            first = engine.run_once()
            seconds = time.perf_counter() - started
            assert first.pushed == prospects, first.as_dict()
            assert (first.matched_contact, first.matched_lead) == (prospects // 4, prospects // 4)
            label = f"push: {prospects:,} new prospects"
            yield (f"{label}, API calls", first.api_calls, "calls", "<= 100")
            yield (f"{label}, throughput", prospects / seconds, "prospects/s", "(report)")
            second = engine.run_once()
            yield ("push: second run, nothing changed", second.api_calls, "calls", "<= 2")
        finally:
            db.dispose()


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else PROSPECTS
    for name, value, unit, target in push_bench(size):
        print(f"{name:44} {value:12,.1f}  {unit:12} {target}", flush=True)
