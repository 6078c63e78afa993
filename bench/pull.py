"""Pull benchmark on the real path (conditions: `bench.remote.CONDITIONS`).

1. Latency from a Salesforce edit to the prospect changing, through `leadbridge serve` (the
   full cycle: pull then push, under the sync lease, HTTP app beside it; SQLite store) with
   the sandbox in another process. Edits are made as a sales rep through the sandbox's
   control plane; an edit is seen when its prospect's title changes in the store.
   - 5 s poll: 50 edits at random moments over 20 s, from the end of serve's first cycle;
   - 120 s poll (the default): 10 edits at random moments over one interval, from the end of
     serve's first cycle (so every edit waits for the next poll).
2. API calls per idle poll: after the 10,000-contact pull the org clock moves on 120 s; the
   next pull re-reads the 60 s overlap before its cursor, the one after it is idle.
3. A pull of N changed contacts in its own process: throughput, peak RSS, API calls
   (counted by the sandbox, equal to the client's): N = 10,000 at 0 ms and at an injected
   latency per call, N = 100,000 at 0 ms (RSS flat in N) and, with `large_latency`
   (`--pull-latency-large`), at the latency too (about 4 more minutes).

Real time throughout (the org clock is not moved).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.remote import (
    LEADBRIDGE,
    STORES,
    RemoteSandbox,
    connect,
    counted_run,
    free_port,
    stop,
    store_url,
)
from leadbridge.domain.fields import Origin
from leadbridge.domain.pull import PULL_CURSOR
from leadbridge.ports import SystemClock
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import SeedSizes, seed_org
from leadbridge.store import Database, ProspectRepository, UserRepository, open_database
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.sync_state import Link, SyncStateRepository

CONTACTS = 100_000
SMALL = 10_000
LATENCY_MS = 50
NOTHING_BUT_USERS = SeedSizes(
    leads=0, contacts=0, accounts=0, opportunities=0, campaigns=0,
    campaign_members=0, subscriptions=0,
)  # fmt: skip


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


def _cursor(db: Database, object_name: str) -> str | None:
    with db.session(readonly=True) as session:
        return ConnectorRepository(session).cursor(object_name, PULL_CURSOR)


def _titles(db: Database, ids: list[int]) -> dict[int, str | None]:
    with db.session(readonly=True) as session:
        state = SyncStateRepository(session, SystemClock())
        return {pid: p.job_title for pid, p in state.prospects(ids).items()}


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


def _serve_latency(poll: int, edits: int, window: float, store: str) -> list[float]:
    """Seconds from each edit to its prospect changing, through `leadbridge serve`."""
    with tempfile.TemporaryDirectory() as tmp:
        org_dir, home = Path(tmp) / "org", Path(tmp) / "home"
        home.mkdir()
        with SandboxServer(SandboxConfig(data_dir=org_dir, random_seed=1)) as server:
            seed_org(server.backend.org, seed=1, sizes=NOTHING_BUT_USERS)
            lead_ids = server.backend.org.insert_raw(
                "Lead",
                [{"LastName": f"L{n}", "Company": "B", "Title": "Before"} for n in range(edits)],
            )
        with store_url(store, home) as url, RemoteSandbox(org_dir) as sandbox:
            db = open_database(url)
            try:
                service = connect(db, org_dir, home)
                service.set("poll_interval_seconds", str(poll))
                ids = _linked(db, "Lead", lead_ids, "Before")
                admin = sandbox.credentials["username"].lower()
                with db.session(readonly=True) as session:
                    rep = next(
                        u.crm_username
                        for u in UserRepository(session).list()
                        if u.crm_username and u.crm_username != admin
                    )
                env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBRIDGE_")}
                env["LEADBRIDGE_HOME"] = str(home)
                env["LEADBRIDGE_DATABASE_URL"] = url
                with (Path(tmp) / "serve.log").open("wb") as log:
                    serve = subprocess.Popen(
                        [LEADBRIDGE, "serve", "--port", str(free_port())],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                try:
                    return _edits(db, sandbox, serve, rep, ids, lead_ids, poll, window)
                finally:
                    stop(serve)
            finally:
                db.dispose()


def _edits(
    db: Database,
    sandbox: RemoteSandbox,
    serve: subprocess.Popen[bytes],
    rep: str,
    ids: list[int],
    lead_ids: list[str],
    poll: int,
    window: float,
) -> list[float]:
    deadline = time.monotonic() + 60
    while _cursor(db, "Lead") is None:  # serve's first cycle has pulled
        if serve.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("leadbridge serve did not complete a first cycle")
        time.sleep(0.05)
    rng = random.Random(5)
    moments = sorted(rng.uniform(0, window) for _ in ids)
    edited: dict[int, float] = {}
    seen: dict[int, float] = {}
    started = time.monotonic()
    for pid, lead_id, moment in zip(ids, lead_ids, moments, strict=True):
        _watch(db, edited, seen, until=started + moment)
        sandbox.edit("Lead", lead_id, {"Title": "After"}, rep)
        edited[pid] = time.monotonic()
    _watch(db, edited, seen, until=time.monotonic() + 2 * poll + 10, stop_when_all=True)
    return [seen[pid] - edited[pid] for pid in edited if pid in seen] + [
        float("inf") for pid in edited if pid not in seen
    ]


def _latency_rows(
    poll: int, edits: int, window: float, store: str
) -> Iterator[tuple[str, float, str, str]]:
    latencies = sorted(_serve_latency(poll, edits, window, store))
    label = (
        f"serve ({STORES[store]}), {poll} s poll, {edits} edits over {window:g} s: edit → prospect"
    )
    yield (f"{label}, p50", statistics.median(latencies), "s", "(report)")
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    yield (f"{label}, p95", p95, "s", "<= 10" if poll <= 5 else f"<= {poll + 2} (poll + 2 s)")


def _bulk(
    count: int, latency_ms: int, store: str, *, idle: bool
) -> Iterator[tuple[str, float, str, str]]:
    """A pull of `count` changed contacts (their title differs from the linked prospects')."""
    with tempfile.TemporaryDirectory() as tmp:
        org_dir, home = Path(tmp) / "org", Path(tmp) / "home"
        home.mkdir()
        before = datetime.now(UTC) - timedelta(seconds=5)
        with SandboxServer(SandboxConfig(data_dir=org_dir, random_seed=1)) as server:
            seed_org(server.backend.org, seed=1, sizes=NOTHING_BUT_USERS)
            contact_ids = server.backend.org.insert_raw(
                "Contact", [{"LastName": f"C{n}", "Title": "Manager"} for n in range(count)]
            )
            owner = server.backend.db.get_meta("admin_user_id")  # the contacts' owner
        with store_url(store, home) as url, RemoteSandbox(org_dir) as sandbox:
            db = open_database(url)
            try:
                connect(db, org_dir, home)
                _linked(
                    db, "Contact", contact_ids, "Engineer", None if owner is None else str(owner)
                )
                with db.session() as session:
                    ConnectorRepository(session).set_cursor(
                        "Contact", PULL_CURSOR, before.isoformat()
                    )
            finally:
                db.dispose()
            sandbox.latency(latency_ms)
            report = counted_run(sandbox, "pull", url, home)
            assert report["summary"]["changed_prospects"] >= count, report
            label = f"pull {count:,} changed contacts, {STORES[store]}, {latency_ms} ms/call:"
            yield (f"{label} throughput", count / report["seconds"], "records/s", ">= 2,000/s")
            yield (f"{label} peak RSS", report["peak_rss_mib"], "MiB", "flat in N (±20 %)")
            yield (
                f"{label} API calls (sandbox = client)",
                report["sandbox_calls"],
                "calls",
                "(report)",
            )
            if idle:  # one default interval later (the org clock moved on), polls re-read
                # the 60 s overlap before their cursor: the second poll after is the idle one
                sandbox.control("POST", "/clock", {"advance_seconds": 120})
                counted_run(sandbox, "pull", url, home)
                again = counted_run(sandbox, "pull", url, home)
                label = f"pull idle poll, {STORES[store]}: API calls (sandbox = client)"
                yield (label, again["sandbox_calls"], "calls", "== 2")


def pull_bench(
    contacts: int = CONTACTS,
    latency_ms: int = LATENCY_MS,
    store: str = "sqlite",
    *,
    serve_default_poll: bool = True,
    large_latency: bool = False,
) -> Iterator[tuple[str, float, str, str]]:
    yield from _latency_rows(5, 50, 20.0, store)
    if serve_default_poll:
        yield from _latency_rows(120, 10, 120.0, store)
    small = min(SMALL, contacts)
    yield from _bulk(small, 0, store, idle=True)
    if latency_ms:
        yield from _bulk(small, latency_ms, store, idle=False)
    if contacts > SMALL:
        yield from _bulk(contacts, 0, store, idle=False)
        if latency_ms and large_latency:
            yield from _bulk(contacts, latency_ms, store, idle=False)


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else CONTACTS
    latency = int(sys.argv[2]) if len(sys.argv) > 2 else LATENCY_MS
    long_poll = "--no-default-poll" not in sys.argv
    large = "--pull-latency-large" in sys.argv
    store = "postgres" if "--postgres" in sys.argv else "sqlite"
    rows = pull_bench(size, latency, store, serve_default_poll=long_poll, large_latency=large)
    for name, value, unit, target in rows:
        print(f"{name:72} {value:12,.2f}  {unit:12} {target}", flush=True)
