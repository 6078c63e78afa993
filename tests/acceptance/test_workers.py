"""Workers on PostgreSQL, as a user runs them across machines: `leadbridge serve --no-sync`
and two `leadbridge worker` processes on one database, connected to the sandbox org.

They push assigned prospects, pull edits made in Salesforce, take an import and a form post;
one worker is SIGKILLed while it holds a wave of pushes in flight (the org is slowed down so
that it does). At the end both sides are equal (each prospect's values are its lead's) and
there is exactly one lead per prospect email: the killed job's prospects were pushed again by
the other worker once its claims lapsed, without a duplicate.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from leadbridge.cli import context
from leadbridge.domain.fields import Origin
from leadbridge.store import ProspectRepository, UserRepository
from leadbridge.store.models import OutboxRow
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import SandboxClient
from tests.integration.store.support import find_postgres, unique_name

PROSPECTS = 400
DOMAIN = "workers.example.com"
REQUIRE_POSTGRES = os.environ.get("LEADBRIDGE_REQUIRE_POSTGRES") == "1"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server, problem = find_postgres()
    if server is None:
        message = f"PostgreSQL is not reachable ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and LEADBRIDGE_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    name = unique_name("workers")
    url = server.create_database(name)
    try:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        context.reset()
        server.drop_database(name)


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient, postgres_url: str
) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEADBRIDGE_HOME", str(tmp_path / ".leadbridge"))
    monkeypatch.setenv("LEADBRIDGE_DATABASE_URL", postgres_url)
    monkeypatch.delenv("LEADBRIDGE_SECRET_KEY", raising=False)
    context.reset()
    runner = Cli(tmp_path / ".leadbridge")
    runner.env["LEADBRIDGE_DATABASE_URL"] = postgres_url
    runner("connector", "add", "--sandbox", sandbox_dir(sandbox))
    runner("connector", "verify")
    runner("users", "sync", "--create")
    runner("connector", "set", "poll_interval_seconds", "5")
    runner("connector", "resume")
    yield runner
    context.reset()


class Processes:
    """The leadbridge processes of the test, stopped (killed if need be) at the end."""

    def __init__(self, home: Path, database_url: str) -> None:
        self.env = {
            **os.environ,
            "LEADBRIDGE_HOME": str(home),
            "LEADBRIDGE_DATABASE_URL": database_url,
            "COLUMNS": "200",
        }
        self.env.pop("LEADBRIDGE_SECRET_KEY", None)
        self.cwd = home.parent
        self.started: list[subprocess.Popen[bytes]] = []
        self.files: list[Any] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.cwd / f"{name}.log").open("wb")
        self.files.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "leadbridge.cli.main", *args],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.files:
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.cwd.glob("*.log"))
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _eventually(check: Callable[[], Any], seconds: float, what: str, logs: Processes) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s: {what}\n{logs.logs()}")


def _add_assigned(count: int) -> list[str]:
    db, clock = context.database(), context.clock()
    emails = [f"p{n}@{DOMAIN}" for n in range(count)]
    with db.session() as session:
        rep = next(u for u in UserRepository(session).list() if u.crm_username)
        prospects = ProspectRepository(session, clock)
        for n, email in enumerate(emails):
            values = {"email": email, "last_name": f"P{n}", "company": "Before Co"}
            prospect = prospects.add(values, origin=Origin.USER, actor="test")
            prospects.assign(prospect.id, rep.id, origin=Origin.USER, actor="test")
    return emails


def _assign(emails: list[str]) -> None:
    db, clock = context.database(), context.clock()
    with db.session() as session:
        rep = next(u for u in UserRepository(session).list() if u.crm_username)
        prospects = ProspectRepository(session, clock)
        for prospect in prospects.by_emails(emails).values():
            prospects.assign(prospect.id, rep.id, origin=Origin.USER, actor="test")


def _claimed_by(pid: int) -> int:
    with context.database().session(readonly=True) as session:
        rows = session.query(OutboxRow).filter(
            OutboxRow.done_at.is_(None), OutboxRow.claimed_by.like(f"%:{pid}:%")
        )
        return rows.count()


def _doing(database_url: str) -> int:
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status = 'doing'"
        ).fetchone()
    return int(row[0]) if row else 0


def _form_posts(database_url: str) -> dict[str, int]:
    """The kept form posts by status."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT status, count(*) FROM form_posts GROUP BY status")
        return {str(status): int(count) for status, count in rows.fetchall()}


def _pending() -> int:
    with context.database().session(readonly=True) as session:
        return session.query(OutboxRow).filter(OutboxRow.done_at.is_(None)).count()


def _leads(sandbox: SandboxClient) -> dict[str, dict[str, Any]]:
    """Our leads by lower-case email (the last one wins; duplicates are counted apart)."""
    backend = sandbox.server.backend
    with backend.db.lock:
        rows = backend.db.conn.execute(
            'SELECT "Id", lower("Email"), "LastName", "Company", "Title" FROM "Lead" '
            'WHERE lower("Email") LIKE ?',
            [f"%@{DOMAIN}"],
        ).fetchall()
    return {
        row[1]: {"Id": row[0], "LastName": row[2], "Company": row[3], "Title": row[4]}
        for row in rows
    }


def _lead_rows(sandbox: SandboxClient) -> int:
    backend = sandbox.server.backend
    with backend.db.lock:
        row = backend.db.conn.execute(
            'SELECT count(*) FROM "Lead" WHERE lower("Email") LIKE ?', [f"%@{DOMAIN}"]
        ).fetchone()
    return int(row[0])


def _prospects() -> dict[str, Any]:
    with context.database().session(readonly=True) as session:
        found = ProspectRepository(session, context.clock()).list(limit=10_000)
    return {p.email.lower(): p for p in found if p.email.lower().endswith("@" + DOMAIN)}


def _unequal(sandbox: SandboxClient, emails: list[str]) -> list[str]:
    """The emails whose prospect and lead differ (or that have no lead yet)."""
    leads, prospects = _leads(sandbox), _prospects()
    differ = []
    for email in emails:
        lead, prospect = leads.get(email), prospects.get(email)
        if lead is None or prospect is None:
            differ.append(email)
            continue
        ours = (prospect.last_name, prospect.company, prospect.job_title, prospect.crm_lead_id)
        theirs = (lead["LastName"], lead["Company"], lead["Title"], lead["Id"])
        if ours != theirs:
            differ.append(email)
    return differ


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_serve_and_two_workers_sync_everything_once_through_a_killed_worker(
    cli: Cli, sandbox: SandboxClient, tmp_path: Path, postgres_url: str
) -> None:
    home = tmp_path / ".leadbridge"
    owner = sandbox.credentials["username"]
    handler = cli.json("forms", "add", "Contact us", "--assign-user", owner)
    emails = _add_assigned(PROSPECTS)
    context.reset()
    procs = Processes(home, postgres_url)
    try:
        # Push: a slow org, so that a wave is in flight when its worker is killed.
        sandbox.control("POST", "/faults", {"kind": "latency", "latency_ms": 400, "probability": 1})
        port = _free_port()
        procs.start("serve", "serve", "--no-sync", "--port", str(port))
        first = procs.start("worker-1", "worker", "--concurrency", "2")
        second = procs.start("worker-2", "worker", "--concurrency", "2")
        victim, in_flight = _eventually(
            lambda: next(((p, n) for p in (first, second) if (n := _claimed_by(p.pid)) > 0), None),
            120,
            "a worker claims a wave of pushes",
            procs,
        )
        # Killed at once: with 400 ms a call, its lookups and writes take seconds.
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait()
        sandbox.control("DELETE", "/faults")
        survivor = second if victim is first else first
        assert survivor.poll() is None, procs.logs()
        # Its claims lapse (30 s), the next dispatch defers pushes, the survivor pushes them.
        _eventually(lambda: not _unequal(sandbox, emails), 240, "every prospect pushed", procs)
        print(  # the figure docs/scaling.md quotes
            f"killed a worker holding {in_flight} claimed pushes; everything in Salesforce "
            f"{time.monotonic() - killed_at:.1f} s later"
        )
        assert _pending() == 0

        # Pull: edits in Salesforce arrive through the workers.
        leads = _leads(sandbox)
        for n, email in enumerate(emails[:10]):
            sandbox.control(
                "PATCH",
                f"/records/Lead/{leads[email]['Id']}",
                {"fields": {"Title": f"Edited {n}"}},
            )
        _eventually(
            lambda: all(
                _prospects()[e].job_title == f"Edited {n}" for n, e in enumerate(emails[:10])
            ),
            120,
            "the Salesforce edits pulled",
            procs,
        )

        # Import on the command line, as a user runs it: 50 prospects again (new company
        # values) and 20 new ones, which the test then assigns (a rep's action) to push them.
        fresh = [f"imported{n}@{DOMAIN}" for n in range(20)]
        csv_path = tmp_path / "import.csv"
        with csv_path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["email", "last_name", "company"])
            for n, email in enumerate([*emails[10:60], *fresh]):
                writer.writerow([email, f"I{n}", "Imported Co"])
        imported = subprocess.run(
            [sys.executable, "-m", "leadbridge.cli.main", "import", str(csv_path), "--json"],
            cwd=tmp_path,
            env=procs.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        _assign(fresh)
        emails = [*emails, *fresh]
        _eventually(lambda: not _unequal(sandbox, emails), 120, "the import pushed", procs)

        # A form post: serve keeps it at once, a worker applies it (the forms queue); its
        # completion action assigns it, so it is pushed too.
        form_email = f"visitor@{DOMAIN}"
        reply = requests.post(
            f"http://127.0.0.1:{port}{handler['path']}",
            data={"email": form_email, "last_name": "Visitor", "company": "Form Co"},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        _eventually(lambda: _form_posts(postgres_url) == {"done": 1}, 60, "the post applied", procs)
        everyone = [*emails, form_email]
        _eventually(lambda: not _unequal(sandbox, everyone), 120, "the form post pushed", procs)

        # The killed worker's job was given back by `retry_stalled` (no job stays "doing").
        _eventually(lambda: _doing(postgres_url) == 0, 120, "the stalled job retried", procs)
    finally:
        procs.stop()
        sandbox.control("DELETE", "/faults")

    assert _unequal(sandbox, everyone) == []
    assert _lead_rows(sandbox) == len(everyone)  # 0 duplicates


def test_serve_no_sync_and_worker_refuse_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    context.reset()
    runner = Cli(tmp_path / ".leadbridge")
    out = runner("serve", "--no-sync", code=5)
    assert "--no-sync needs PostgreSQL" in " ".join(out.split())
    out = runner("worker", "--until-idle", code=5)
    assert "workers need PostgreSQL" in " ".join(out.split())
    context.reset()


def test_a_job_waits_when_any_worker_saw_the_org_at_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from leadbridge.errors import CrmLimitError
    from leadbridge.store.connector import ConnectorRepository
    from leadbridge.store.connector_status import record_api_usage
    from leadbridge.workers.clients import check_budget

    monkeypatch.setenv("LEADBRIDGE_HOME", str(tmp_path / ".leadbridge"))
    monkeypatch.delenv("LEADBRIDGE_DATABASE_URL", raising=False)
    context.reset()
    now = context.clock().now()

    def seen(used: int, ago: timedelta = timedelta(0)) -> None:
        with context.database().session() as session:
            record_api_usage(ConnectorRepository(session), used=used, limit=1000, at=now - ago)

    try:
        check_budget(50)  # nothing recorded yet: the job goes and learns the figure
        seen(499)
        check_budget(50)
        seen(500)  # another worker's last reply: half the org's allowance used
        with pytest.raises(CrmLimitError, match="500 of 1000"):
            check_budget(50)
        check_budget(60)  # a larger budget leaves room
        seen(900, ago=timedelta(minutes=11))  # too old to trust: the job goes and looks
        check_budget(50)
    finally:
        context.reset()


def _stream_mode() -> str | None:
    from leadbridge.store.change_streams import ChangeStreamRepository

    with context.database().session(readonly=True) as session:
        return ChangeStreamRepository(session, context.clock()).get().mode


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_worker_streams_salesforce_s_changes_and_the_dispatch_stops_polling(
    cli: Cli, sandbox: SandboxClient, tmp_path: Path, postgres_url: str
) -> None:
    """Change Data Capture with workers: one worker takes the stream's lease and applies
    Salesforce's changes as they happen; the dispatch's pull and intake jobs then skip, so
    an idle org costs no API call."""
    sandbox.control("PUT", "/cdc", {"entities": ["Lead", "Contact"]})
    emails = _add_assigned(3)
    context.reset()
    procs = Processes(tmp_path / ".leadbridge", postgres_url)
    try:
        procs.start("serve", "serve", "--no-sync", "--port", str(_free_port()))
        procs.start("worker-1", "worker", "--concurrency", "2")
        procs.start("worker-2", "worker", "--concurrency", "2")
        _eventually(lambda: not _unequal(sandbox, emails), 120, "the prospects pushed", procs)
        _eventually(lambda: _stream_mode() == "stream", 60, "a worker streaming", procs)
        lead = _leads(sandbox)[emails[0]]["Id"]
        edited = time.monotonic()
        sandbox.control("PATCH", f"/records/Lead/{lead}", {"fields": {"Title": "Streamed"}})
        _eventually(lambda: _prospects()[emails[0]].job_title == "Streamed", 30, "the edit", procs)
        print(f"edit → prospect through a worker's stream: {time.monotonic() - edited:.2f} s")
        before = int(sandbox.control("GET", "/usage")["used"])
        time.sleep(12)  # two dispatches at the 5 s poll
        assert int(sandbox.control("GET", "/usage")["used"]) == before, procs.logs()
    finally:
        procs.stop()
