"""The real path for the push and pull benchmarks: the sandbox org file-backed in its own
process (`leadbridge sandbox serve`), leadbridge's sync in another process whose peak RSS is
its own, and API calls counted by the sandbox (`GET /__sandbox__/usage`) next to the client's.

`python -m bench.remote push|pull --db URL --home DIR` is the child: one `run_once` of the
push or pull engine against the connector stored in DB, printed as one JSON line (engine
seconds, the summary, the client's API calls and the process's peak RSS, its VmHWM:
`peak_rss_kib`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
import requests

from leadbridge.connector.service import ConnectorService
from leadbridge.ports import SystemClock
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.salesforce.credentials import CrmCredentials
from leadbridge.store import Database, SecretBox, open_database
from leadbridge.store.connector_settings import ConnectorSettings

ROOT = Path(__file__).resolve().parent.parent
LEADBRIDGE = str(Path(sys.executable).parent / "leadbridge")
CONDITIONS = (
    "sandbox org file-backed (SQLite, WAL) in its own process (`leadbridge sandbox serve`); "
    "each sync in its own leadbridge process (peak RSS is that process's); store as labelled; "
    "API calls counted by the sandbox's usage counter and asserted equal to the client's; "
    "latency = a sandbox fault adding that many ms to every API call"
)


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
STORES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@contextmanager
def store_url(backend: str, home: Path) -> Iterator[str]:
    """The store's URL: a SQLite file in `home`, or a fresh PostgreSQL database (dropped after)."""
    if backend == "sqlite":
        yield f"sqlite:///{home / 'leadbridge.sqlite3'}"
        return
    name = f"lb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def client(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
    return SalesforceClient(
        credentials,
        budget_percent=settings.api_budget_percent,
        bulk_threshold=settings.bulk_threshold,
    )


def connect(db: Database, org_dir: Path, home: Path) -> ConnectorService:
    """The connector to the sandbox whose credentials.json is in `org_dir`, unpaused, with
    its users synced (a leadbridge user per Salesforce user)."""
    service = ConnectorService(db, SystemClock(), client, SecretBox(home / "secret.key"))
    service.add_sandbox(org_dir)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    return service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RemoteSandbox:
    """`leadbridge sandbox serve --data DIR --port P` as a subprocess (file-backed)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.instance_url = f"https://localhost:{self.port}"
        self.ca_file = data_dir / "ca.pem"
        self.http = requests.Session()
        self.http.trust_env = False
        self.credentials: dict[str, str] = {}
        self._log = data_dir.parent / f"sandbox-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RemoteSandbox:
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    LEADBRIDGE,
                    "sandbox",
                    "serve",
                    "--data",
                    str(self.data_dir),
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the sandbox exited: {self._log.read_text()[-2000:]}")
            if self.ca_file.exists():
                self.http.verify = str(self.ca_file)
                try:
                    self.control("GET", "/")
                    break
                except requests.RequestException:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not answer within 60 s")
            time.sleep(0.2)
        self.credentials = json.loads((self.data_dir / "credentials.json").read_text())
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.http.close()
        if self._process is not None:
            stop(self._process)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method, f"{self.instance_url}/__sandbox__{path}", json=body, timeout=30
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def usage(self) -> int:
        """API calls the org has counted."""
        return int(self.control("GET", "/usage")["used"])

    def latency(self, ms: int) -> None:
        """Every API call `ms` slower (0: no fault rules)."""
        if ms:
            self.control(
                "POST", "/faults", {"kind": "latency", "probability": 1.0, "latency_ms": ms}
            )
        else:
            self.control("DELETE", "/faults")

    def edit(self, object_name: str, record_id: str, fields: dict[str, Any], user: str) -> None:
        """An edit as a sales rep, through the control plane (not counted as API usage)."""
        body = {"fields": fields, "as_user": user}
        self.control("PATCH", f"/records/{object_name}/{record_id}", body)


def password_token(http: requests.Session, instance_url: str, credentials: dict[str, str]) -> str:
    """An access token from the org's OAuth password flow, as any API client gets one."""
    reply = http.post(
        f"{instance_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "username": credentials["username"],
            "password": credentials["password"] + credentials["security_token"],
        },
        timeout=30,
    )
    reply.raise_for_status()
    return str(reply.json()["access_token"])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this bench started (SIGINT, then SIGKILL after 20 s)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_child(kind: str, db_url: str, home: Path) -> dict[str, Any]:
    """One push or pull in its own process; its JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.remote", kind, "--db", db_url, "--home", str(home)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.remote {kind} failed: {done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def counted_run(sandbox: RemoteSandbox, kind: str, db_url: str, home: Path) -> dict[str, Any]:
    """`run_child`, with the calls the sandbox counted for it (asserted equal to the client's)."""
    before = sandbox.usage()
    report = run_child(kind, db_url, home)
    report["sandbox_calls"] = sandbox.usage() - before
    assert report["sandbox_calls"] == report["api_calls"], (
        f"{kind}: the sandbox counted {report['sandbox_calls']} calls, "
        f"the client {report['api_calls']}"
    )
    return report


def _child(kind: str, db_url: str, home: Path) -> None:
    from leadbridge.sync import PushEngine
    from leadbridge.sync.pull import PullEngine

    db = open_database(db_url)
    try:
        service = ConnectorService(db, SystemClock(), client, SecretBox(home / "secret.key"))
        crm = service.client()
        engine = (PushEngine if kind == "push" else PullEngine)(db, crm, SystemClock())
        started = time.perf_counter()
        summary = engine.run_once()
        seconds = time.perf_counter() - started
    finally:
        db.dispose()
    report = {
        "seconds": seconds,
        "api_calls": summary.api_calls,
        "summary": summary.as_dict(),
        "peak_rss_mib": peak_rss_kib() / 1024,
    }
    print(json.dumps(report, default=str), flush=True)


def peak_rss_kib() -> int:
    """This process's own peak resident set (KiB): Linux's VmHWM, the high-water mark of the
    memory it has had since it started (exec).

    Not `ru_maxrss`: Linux carries that across exec, from the memory of the process that
    forked this one. The bench process that starts the child has just built the org and the
    store of N records, so the child's `ru_maxrss` is at least the parent's RSS at the fork,
    however little the child uses (it grew with N: 167 MiB at 10,000, 420 at 100,000, while
    the pull itself stayed at ~115 MiB). `ru_maxrss` only where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description="one push or pull, reported as JSON")
    parser.add_argument("kind", choices=("push", "pull"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args()
    os.environ.setdefault("LEADBRIDGE_HOME", str(args.home))
    _child(args.kind, args.db, args.home)


if __name__ == "__main__":
    main()
