"""Change Data Capture benchmark on the real path.

The sandbox org file-backed in its own process (`leadbridge sandbox serve`: REST and the Pub/Sub
API over gRPC), `leadbridge serve` in another (its change stream beside the sync loop, 5 s
poll), SQLite store; Lead, Contact and the mirrored objects selected for Change Data Capture;
API calls counted by the sandbox. Edits are made in Salesforce as a sales rep (control plane)
or as an API client (composite sObject collections, 200 records a call).

1. Latency: 200 edits of linked leads, 50 to 150 ms apart; an edit is seen when its prospect's
   title changes in the store (watched every 5 ms).
2. Idle: 60 s with nothing changing (12 poll intervals): REST calls counted by the sandbox.
3. Burst: 20,000 linked leads changed while streaming; seconds until all are applied.
4. Backlog: 20,000 changes made while leadbridge is stopped, applied when it starts again
   (the apply rate, not bounded by how fast Salesforce takes the edits).
5. SIGKILL: 20,000 changes; `serve` killed with SIGKILL once 5,000 are applied, started
   again; prospects missing their change, and changes applied twice (audit rows).
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.pull import NOTHING_BUT_USERS, _linked
from bench.remote import LEADBRIDGE, RemoteSandbox, connect, free_port, password_token, stop
from leadbridge.domain.pull import PULL_CURSOR
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import seed_org
from leadbridge.store import Database, UserRepository, open_database
from leadbridge.store.connector import ConnectorRepository
from leadbridge.sync.cycle import STREAMED_MIRRORS

EDITS = 200
BURST = 20_000
IDLE_SECONDS = 60.0
POLL_SECONDS = 5
KILL_AFTER = 5_000
CONDITIONS = (
    "sandbox org file-backed in its own process (REST + Pub/Sub gRPC); `leadbridge serve` in "
    f"another, SQLite store, {POLL_SECONDS} s poll; API calls counted by the sandbox"
)
Row = tuple[str, float, str, str]


class _Org:
    """The sandbox process, an API session to it, and leadbridge's store."""

    def __init__(self, sandbox: RemoteSandbox, db: Database, store: Path, home: Path) -> None:
        self.sandbox, self.db, self.store, self.home = sandbox, db, store, home
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = str(sandbox.ca_file)
        token = password_token(self.http, sandbox.instance_url, sandbox.credentials)
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.serve: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBRIDGE_")}
        env["LEADBRIDGE_HOME"] = str(self.home)
        env["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{self.store}"
        with (self.home / "serve.log").open("ab") as log:
            self.serve = subprocess.Popen(
                [LEADBRIDGE, "serve", "--port", str(free_port())],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_streaming()

    def _wait_streaming(self) -> None:
        deadline = time.monotonic() + 120
        while self._mode() != "stream":
            assert self.serve is not None
            if self.serve.poll() is not None or time.monotonic() > deadline:
                log = (self.home / "serve.log").read_text()[-3000:]
                raise RuntimeError(f"leadbridge serve did not start streaming: {log}")
            time.sleep(0.05)

    def _mode(self) -> str | None:
        found = self.query("SELECT mode FROM change_streams")
        return str(found[0][0]) if found else None

    def stop(self, *, kill: bool = False) -> None:
        if self.serve is not None:
            if kill:
                self.serve.kill()
                self.serve.wait()
            else:
                stop(self.serve)
        self.serve = None

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.store, timeout=30) as conn:
            return conn.execute(sql, args).fetchall()

    def titled(self, ids: list[int], title: str) -> int:
        marks = ",".join("?" * len(ids))
        sql = f"SELECT count(*) FROM prospects WHERE job_title = ? AND id IN ({marks})"
        return int(self.query(sql, title, *ids)[0][0])

    def update(self, lead_ids: list[str], title: str) -> float:
        """Composite sObject collections, 200 leads a call; the seconds it took."""
        started = time.monotonic()
        url = f"{self.sandbox.instance_url}/services/data/v59.0/composite/sobjects"
        for start in range(0, len(lead_ids), 200):
            records = [
                {"attributes": {"type": "Lead"}, "id": lead_id, "Title": title}
                for lead_id in lead_ids[start : start + 200]
            ]
            reply = self.http.patch(url, json={"allOrNone": True, "records": records}, timeout=60)
            reply.raise_for_status()
        return time.monotonic() - started

    def wait_titled(self, ids: list[int], title: str, timeout: float) -> tuple[float, float]:
        """(seconds until the first has the title, until all have it) from now."""
        started, first = time.monotonic(), None
        while True:
            done = self.titled(ids, title)
            now = time.monotonic() - started
            if done and first is None:
                first = now
            if done == len(ids):
                return first or now, now
            if now > timeout:
                raise RuntimeError(f"{done:,} of {len(ids):,} applied after {timeout:.0f} s")
            time.sleep(0.05)


def _latency(org: _Org, ids: list[int], lead_ids: list[str], rep: str) -> list[float]:
    rng = random.Random(7)
    edited: dict[int, float] = {}
    seen: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or len(seen) < len(edited):
            waiting = [pid for pid in edited if pid not in seen]
            if waiting:
                marks = ",".join("?" * len(waiting))
                sql = f"SELECT id FROM prospects WHERE job_title = 'After' AND id IN ({marks})"
                now = time.monotonic()
                for (pid,) in org.query(sql, *waiting):
                    seen.setdefault(int(pid), now)
            if done.is_set() and time.monotonic() > deadline:
                return
            time.sleep(0.005)

    deadline = float("inf")
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for pid, lead_id in zip(ids, lead_ids, strict=True):
        org.sandbox.edit("Lead", lead_id, {"Title": "After"}, rep)
        edited[pid] = time.monotonic()
        time.sleep(rng.uniform(0.05, 0.15))
    deadline = time.monotonic() + 30
    done.set()
    watcher.join()
    return sorted(seen.get(pid, float("inf")) - at for pid, at in edited.items())


def _twice(org: _Org, title: str) -> int:
    """Prospects whose change to `title` was applied more than once (audit rows)."""
    sql = (
        "SELECT count(*) FROM (SELECT prospect_id FROM audit_log WHERE field = 'job_title' "
        "AND new_value = ? AND origin = 'salesforce' GROUP BY prospect_id HAVING count(*) > 1)"
    )
    return int(org.query(sql, title)[0][0])


@dataclass(frozen=True)
class Sizes:
    edits: int = EDITS
    burst: int = BURST
    idle_seconds: float = IDLE_SECONDS
    kill_after: int = KILL_AFTER


def cdc_bench(sizes: Sizes = Sizes()) -> Iterator[Row]:
    """The figures; `sizes` smaller for the acceptance test of the same path."""
    with tempfile.TemporaryDirectory() as tmp:
        org_dir, home = Path(tmp) / "org", Path(tmp) / "home"
        home.mkdir()
        stamp = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        an_hour_ago = dict.fromkeys(("CreatedDate", "LastModifiedDate", "SystemModstamp"), stamp)
        with SandboxServer(SandboxConfig(data_dir=org_dir, random_seed=1)) as server:
            seed_org(server.backend.org, seed=1, sizes=NOTHING_BUT_USERS)
            lead_ids = server.backend.org.insert_raw(
                "Lead",
                [
                    {"LastName": f"L{n}", "Company": "B", "Title": "Before", **an_hour_ago}
                    for n in range(sizes.edits + 2 * sizes.burst)
                ],
            )
        now = datetime.now(UTC).isoformat()
        with RemoteSandbox(org_dir) as sandbox:
            entities = ["Lead", "Contact", *sorted(STREAMED_MIRRORS)]
            sandbox.control("PUT", "/cdc", {"entities": entities})
            store = home / "leadbridge.sqlite3"
            db = open_database(f"sqlite:///{store}")
            try:
                service = connect(db, org_dir, home)
                service.set("poll_interval_seconds", str(POLL_SECONDS))
                ids = _linked(db, "Lead", lead_ids, "Before")
                with db.session() as session:  # polled up to now: the seeding is no change
                    for name in ("Lead", "Contact"):
                        ConnectorRepository(session).set_cursor(name, PULL_CURSOR, now)
                admin = sandbox.credentials["username"].lower()
                with db.session(readonly=True) as session:
                    rep = next(
                        str(u.crm_username)
                        for u in UserRepository(session).list()
                        if u.crm_username and u.crm_username != admin
                    )
                org = _Org(sandbox, db, store, home)
                try:
                    yield from _phases(org, ids, lead_ids, rep, sizes)
                finally:
                    org.stop()
            finally:
                db.dispose()


def _phases(
    org: _Org, ids: list[int], lead_ids: list[str], rep: str, sizes: Sizes
) -> Iterator[Row]:
    count = sizes.burst
    edits = slice(0, sizes.edits)
    burst = slice(sizes.edits, sizes.edits + count)
    kill = slice(sizes.edits + count, None)
    org.start()
    latencies = _latency(org, ids[edits], lead_ids[edits], rep)
    label = f"CDC: {sizes.edits} edits in Salesforce → prospect changed"
    yield (f"{label}, p50", statistics.median(latencies) * 1000, "ms", "<= 300")
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    yield (f"{label}, p95", p95 * 1000, "ms", "<= 1,000")

    before = org.sandbox.usage()
    time.sleep(sizes.idle_seconds)
    idle = org.sandbox.usage() - before
    label = f"CDC: REST API calls over {sizes.idle_seconds:.0f} s idle (sandbox count)"
    yield (label, idle, "calls", "0")

    writer = threading.Thread(target=org.update, args=(lead_ids[burst], "Burst"))
    writer.start()
    _, applied = org.wait_titled(ids[burst], "Burst", timeout=600)
    writer.join()
    label = f"CDC: burst of {count:,} changes while streaming, applied end to end"
    yield (label, count / applied, "records/s", "(report)")

    org.stop()
    org.update(lead_ids[burst], "Backlog")
    org.start()
    first, last = org.wait_titled(ids[burst], "Backlog", timeout=600)
    rate = count / max(last - first, 1e-9)
    yield (f"CDC: backlog of {count:,} changes applied", rate, "records/s", ">= 2,000")
    yield ("CDC: backlog, changes applied twice (audit)", _twice(org, "Backlog"), "prospects", "0")

    writer = threading.Thread(target=org.update, args=(lead_ids[kill], "Killed"))
    writer.start()
    while org.titled(ids[kill], "Killed") < sizes.kill_after:
        time.sleep(0.02)
    org.stop(kill=True)
    at_kill = org.titled(ids[kill], "Killed")
    writer.join()
    org.start()
    org.wait_titled(ids[kill], "Killed", timeout=600)
    lost = count - org.titled(ids[kill], "Killed")
    label = f"CDC: SIGKILL after {at_kill:,} of {count:,} applied, restarted"
    yield (f"{label}: changes lost", lost, "changes", "0")
    yield (f"{label}: applied twice", _twice(org, "Killed"), "prospects", "0")
