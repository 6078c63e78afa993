"""Pull benchmark against an embedded sandbox org.

1. Latency from a Salesforce edit to the prospect changing, with a 5 s poll interval: 50
   linked leads are edited (as a sales rep, through the sandbox's control plane) at random
   moments over a 20 s window while the real pull loop polls in a background thread; each
   edit's latency is the time until its prospect holds the new value (p50, p95).
2. API calls per idle poll cycle.
3. A pull of 100,000 changed contacts: throughput, peak Python memory (tracemalloc), calls.

Real time throughout (the org clock is not moved).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin
from leadbridge.domain.pull import PULL_CURSOR
from leadbridge.ports import SystemClock
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import SeedSizes, seed_org
from leadbridge.store import Database, ProspectRepository, SecretBox, UserRepository, open_database
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.sync_state import Link, SyncStateRepository
from leadbridge.sync.loop import sync_loop
from leadbridge.sync.pull import PullEngine

CONTACTS = 100_000
EDITS = 50
POLL_SECONDS = 5.0
EDIT_WINDOW = 20.0
NOTHING_BUT_USERS = SeedSizes(
    leads=0, contacts=0, accounts=0, opportunities=0, campaigns=0,
    campaign_members=0, subscriptions=0,
)  # fmt: skip


def _client(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
    return SalesforceClient(
        credentials,
        budget_percent=settings.api_budget_percent,
        bulk_threshold=settings.bulk_threshold,
    )


def _connect(db: Database, server: SandboxServer, home: Path) -> ConnectorService:
    service = ConnectorService(db, SystemClock(), _client, SecretBox(home / "secret.key"))
    service.add_sandbox(Path(server.ca_file).parent)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    return service


def _linked(
    db: Database, object_name: str, crm_ids: list[str], title: str, owner: str | None = None
) -> list[int]:
    """One prospect per record, linked to it (bulk insert, then one link per chunk)."""
    clock = SystemClock()
    emails = [f"{object_name.lower()}{n}@bench{n % 97}.example.com" for n in range(len(crm_ids))]
    rows: Any = (
        {"email": email, "last_name": f"L{n}", "job_title": title} for n, email in enumerate(emails)
    )
    with db.session() as session:
        prospects = ProspectRepository(session, clock)
        prospects.bulk_insert(rows, origin=Origin.IMPORT)
        found = prospects.by_emails(emails)
        ids = [found[email].id for email in emails]
        lead = object_name == "Lead"
        links = [
            Link(
                pid,
                lead_id=crm_id if lead else None,
                contact_id=None if lead else crm_id,
                owner_id=owner,
            )
            for pid, crm_id in zip(ids, crm_ids, strict=True)
        ]
        SyncStateRepository(session, clock).link(links)
    return ids


def _set_cursor(db: Database, object_name: str, at: datetime) -> None:
    with db.session() as session:
        ConnectorRepository(session).set_cursor(object_name, PULL_CURSOR, at.isoformat())


def _titles(db: Database, ids: list[int]) -> dict[int, str | None]:
    with db.session(readonly=True) as session:
        state = SyncStateRepository(session, SystemClock())
        return {pid: p.job_title for pid, p in state.prospects(ids).items()}


def _latency(db: Database, server: SandboxServer, service: ConnectorService) -> list[float]:
    org = server.backend.org
    lead_ids = org.insert_raw(
        "Lead", [{"LastName": f"L{n}", "Company": "B", "Title": "Before"} for n in range(EDITS)]
    )
    ids = _linked(db, "Lead", lead_ids, "Before")
    with db.session(readonly=True) as session:
        admin = server.credentials["username"].lower()
        rep = next(
            u.crm_username
            for u in UserRepository(session).list()
            if u.crm_username and u.crm_username != admin
        )
    http = requests.Session()
    http.trust_env = False
    http.verify = str(server.ca_file)
    engine = PullEngine(db, service.client(), SystemClock())
    engine.run_once()  # the cursor starts now
    stop = threading.Event()
    loop = threading.Thread(
        target=sync_loop, args=(engine.run_once, stop), kwargs={"interval": POLL_SECONDS}
    )
    loop.start()
    rng = random.Random(5)
    moments = sorted(rng.uniform(0, EDIT_WINDOW) for _ in range(EDITS))
    edited: dict[int, float] = {}
    seen: dict[int, float] = {}
    started = time.monotonic()
    try:
        for pid, lead_id, moment in zip(ids, lead_ids, moments, strict=True):
            _watch(db, edited, seen, until=started + moment)
            body = {"fields": {"Title": "After"}, "as_user": rep}
            url = f"{server.instance_url}/__sandbox__/records/Lead/{lead_id}"
            http.patch(url, json=body).raise_for_status()
            edited[pid] = time.monotonic()
        _watch(db, edited, seen, until=time.monotonic() + 3 * POLL_SECONDS, stop_when_all=True)
    finally:
        stop.set()
        loop.join()
    return [seen[pid] - edited[pid] for pid in edited if pid in seen] + [
        float("inf") for pid in edited if pid not in seen
    ]


def _watch(
    db: Database,
    edited: dict[int, float],
    seen: dict[int, float],
    *,
    until: float,
    stop_when_all: bool = False,
) -> None:
    while True:
        waiting = [pid for pid in edited if pid not in seen]
        if waiting:
            now = time.monotonic()
            for pid, title in _titles(db, waiting).items():
                if title == "After":
                    seen[pid] = now
        if time.monotonic() >= until or (stop_when_all and len(seen) == len(edited)):
            return
        time.sleep(0.05)


def _bulk_pull(
    db: Database, server: SandboxServer, service: ConnectorService, count: int
) -> Iterator[tuple[str, float, str, str]]:
    before = datetime.now(UTC) - timedelta(seconds=5)
    contact_ids = server.backend.org.insert_raw(
        "Contact", [{"LastName": f"C{n}", "Title": "Manager"} for n in range(count)]
    )
    owner = server.backend.db.get_meta("admin_user_id")  # the contacts' owner, as linked
    _linked(db, "Contact", contact_ids, "Engineer", owner=None if owner is None else str(owner))
    _set_cursor(db, "Contact", before)
    time.sleep(1.1)  # a poll reads up to the whole second it starts in: let this one end
    engine = PullEngine(db, service.client(), SystemClock())
    tracemalloc.start()
    started = time.perf_counter()
    summary = engine.run_once()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert summary.changed_prospects >= count, summary.as_dict()
    label = f"pull: {count:,} changed contacts"
    yield (f"{label}, throughput", count / seconds, "records/s", "(report)")
    yield (f"{label}, peak memory", peak / 2**20, "MiB", "(report)")
    yield (f"{label}, API calls", summary.api_calls, "calls", "(report)")


def pull_bench(contacts: int = CONTACTS) -> Iterator[tuple[str, float, str, str]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxServer(
            SandboxConfig(data_dir=Path(tmp) / "org", memory=True, random_seed=1)
        ) as server,
    ):
        seed_org(server.backend.org, seed=1, sizes=NOTHING_BUT_USERS)
        db = open_database(f"sqlite:///{Path(tmp) / 'store.sqlite3'}")
        try:
            service = _connect(db, server, Path(tmp))
            latencies = sorted(_latency(db, server, service))
            label = f"pull: edit → prospect, {POLL_SECONDS:g} s polls"
            yield (f"{label}, p50", statistics.median(latencies), "s", "(report)")
            p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
            yield (f"{label}, p95", p95, "s", "<= 10")
            idle = PullEngine(db, service.client(), SystemClock()).run_once()
            yield ("pull: idle poll cycle", idle.api_calls, "calls", "== 2")
            yield from _bulk_pull(db, server, service, contacts)
        finally:
            db.dispose()


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else CONTACTS
    for name, value, unit, target in pull_bench(size):
        print(f"{name:44} {value:12,.2f}  {unit:12} {target}", flush=True)
