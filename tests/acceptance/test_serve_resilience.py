"""`leadbridge serve` keeps answering website form posts (HTTP 200) whatever the sync loop
meets — a store locked for 30 s by another writer, Salesforce failing every call for a while,
a step raising an unexpected exception, a whole cycle failing — and every post lands, and
the loop syncs again afterwards (the posted prospects become leads in the sandbox org).

The outage lasts the 2 minutes the issue names; the loop's backoff is shortened (0.5 s, at
most 2 s) so that the test does not also wait out a 5-minute backoff cap afterwards.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from leadbridge.api import create_app
from leadbridge.api.forms import install_spool
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.api.server import build_server, serve
from leadbridge.cli import context
from leadbridge.cli.serve import background_task
from leadbridge.store.forms import FormSubmissionRepository
from leadbridge.sync.loop import Backoff
from leadbridge.sync.pull import PullEngine
from tests.acceptance.test_connect_org import Cli
from tests.conftest import SandboxClient

LOCKED_SECONDS = 30
OUTAGE_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _eventually(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s: {what}")


class Site:
    """A website posting to the form handler, counting what it was told."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False
        self.emails: list[str] = []
        self.slowest = 0.0

    def post(self, tag: str) -> dict[str, Any]:
        email = f"{tag}{len(self.emails)}@visitor.example.com"
        started = time.monotonic()
        reply = self.http.post(self.url, data={"email": email, "company": "Visitor Co"}, timeout=30)
        self.slowest = max(self.slowest, time.monotonic() - started)
        assert reply.status_code == 200, reply.text
        self.emails.append(email)
        return dict(reply.json())

    def post_for(self, tag: str, seconds: float) -> list[dict[str, Any]]:
        replies = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            replies.append(self.post(tag))
            time.sleep(1)
        return replies


def _submissions() -> int:
    with context.database().session(readonly=True) as session:
        return FormSubmissionRepository(session, context.clock()).count()


def _leads(sandbox: SandboxClient, emails: list[str]) -> int:
    backend = sandbox.server.backend
    marks = ",".join("?" * len(emails))
    with backend.db.lock:
        row = backend.db.conn.execute(
            f'SELECT count(DISTINCT lower("Email")) FROM "Lead" WHERE lower("Email") IN ({marks})',
            [email.lower() for email in emails],
        ).fetchone()
    return int(row[0])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_serve_answers_forms_through_a_locked_store_an_outage_and_a_bug(
    connected_cli: Cli,
    sandbox: SandboxClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connected_cli("connector", "set", "poll_interval_seconds", "5")
    owner = sandbox.credentials["username"]
    handler = connected_cli.json("forms", "add", "Contact us", "--assign-user", owner)

    # An unexpected exception: the pull step raises in the first two cycles, and the third
    # cycle fails as a whole (building its Salesforce client).
    pulls: list[int] = []
    real_pull = PullEngine.run_once

    def buggy_pull(self: PullEngine) -> Any:
        pulls.append(1)
        if len(pulls) <= 2:
            raise RuntimeError("a bug in the pull step")
        return real_pull(self)

    monkeypatch.setattr(PullEngine, "run_once", buggy_pull)
    clients: list[int] = []
    real_client = context.SyncRunner.client

    def buggy_client(self: context.SyncRunner) -> Any:
        clients.append(1)
        if len(clients) == 3:
            raise KeyError("a bug before the cycle")
        return real_client(self)

    monkeypatch.setattr(context.SyncRunner, "client", buggy_client)

    # A site posting without pause: the per-IP rate limit is not what this test is about.
    unlimited = RateLimiter(per_minute=1_000_000, burst=1_000_000)
    app = create_app(context.database(), context.clock(), form_rate=unlimited)
    spool = context.form_spool()
    install_spool(app, spool)
    server = build_server(app, "127.0.0.1", _free_port())
    tasks = [background_task(Backoff(base=0.5, cap=2)), spool.drain_forever]
    thread = threading.Thread(target=serve, args=(server, tasks), daemon=True)
    thread.start()
    _eventually(lambda: bool(server.started), 20, "the server started")
    site = Site(f"http://127.0.0.1:{server.config.port}{handler['path']}")
    try:
        # 1. The buggy steps: posts answered and, after the bugs, synced.
        for _ in range(3):
            site.post("bug")
        _eventually(
            lambda: len(pulls) > 2 and len(clients) > 3 and _leads(sandbox, site.emails) == 3,
            90,
            "cycles ran on past the failing step and the failed cycle, and synced",
        )

        # 2. Another writer holds the store for 30 s.
        locker = sqlite3.connect(
            tmp_path / ".leadbridge" / "leadbridge.sqlite3", isolation_level=None
        )
        locker.execute("BEGIN EXCLUSIVE")
        try:
            replies = site.post_for("locked", LOCKED_SECONDS)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert any("queued" in reply for reply in replies)  # spooled, not refused
        _eventually(lambda: _submissions() == len(site.emails), 60, "every spooled post landed")
        assert not spool.pending() and not spool.failed.exists()

        # 3. Salesforce answers every call with 503 SERVER_UNAVAILABLE for a while.
        sandbox.control("POST", "/faults", {"kind": "SERVER_UNAVAILABLE", "probability": 1})
        try:
            site.post_for("outage", OUTAGE_SECONDS)
        finally:
            sandbox.control("DELETE", "/faults")
        assert _submissions() == len(site.emails)
        _eventually(lambda: _leads(sandbox, site.emails) == len(site.emails), 180, "synced after")
        assert site.slowest < 10, site.slowest  # nobody waited on the store or Salesforce
    finally:
        server.should_exit = True
        thread.join(timeout=60)
    assert not thread.is_alive()
