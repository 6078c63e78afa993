"""One runner: concurrent `leadbridge sync once` processes sharing one SQLite store push each
prospect once, against an org where nothing else would stop duplicates (no upsert key field,
no duplicate rule): the sync lease is all that stands between them and duplicate leads.

Measured in the sandbox's own database: one lead per email, as many leads as prospects, and
no lead written twice (LastModifiedDate still equals CreatedDate); and in what the processes
report: the leads they created add up to the prospects pushed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadbridge.cli import context
from leadbridge.domain.fields import Origin
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from leadbridge.store import ProspectRepository, UserRepository
from leadbridge.sync.runner import LeaseHeldError, SyncLease
from tests.acceptance.test_connect_org import Cli
from tests.conftest import SandboxClient

PROSPECTS = 2000
LEASE_HELD_EXIT = 7


@pytest.fixture
def fresh_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxClient]:
    data_dir = tmp_path_factory.mktemp("fresh-org")
    config = SandboxConfig(
        data_dir=data_dir, memory=True, schema_file=FRESH_ORG_SCHEMA_FILE, random_seed=7
    )
    with SandboxServer(config) as server:
        yield SandboxClient(server)  # the admin user only: the leads' owner


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_org: SandboxClient
) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    cli = Cli(tmp_path / ".leadbridge")
    cli("connector", "add", "--sandbox", str(Path(fresh_org.credentials["ca_file"]).parent))
    cli("connector", "verify")
    cli("users", "sync", "--create")
    cli("connector", "resume")
    yield tmp_path / ".leadbridge"
    context.reset()


def _add_assigned(first: int, count: int) -> None:
    db, clock = context.database(), context.clock()
    with db.session() as session:
        rep = next(u for u in UserRepository(session).list() if u.crm_username)
        prospects = ProspectRepository(session, clock)
        for n in range(first, first + count):
            values = {"email": f"p{n}@runner.example.com", "last_name": f"P{n}", "company": "Co"}
            prospect = prospects.add(values, origin=Origin.USER, actor="test")
            prospects.assign(prospect.id, rep.id, origin=Origin.USER, actor="test")
    context.reset()  # the subprocesses have the store to themselves


def _sync_once_processes(home: Path, count: int, *extra: str) -> list[tuple[int, str, str]]:
    env = {**os.environ, "LEADBRIDGE_HOME": str(home), "COLUMNS": "200"}
    for name in ("LEADBRIDGE_DATABASE_URL", "LEADBRIDGE_SECRET_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-m", "leadbridge.cli.main", "sync", "once", "--json", *extra]
    processes = [
        subprocess.Popen(
            command,
            cwd=home.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        results.append((process.returncode, out, err))
    return results


def _lead_checks(org: SandboxClient) -> dict[str, int]:
    conn = org.server.backend.db.conn
    one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
    return {
        "leads": one('SELECT count(*) FROM "Lead"'),
        "emails": one('SELECT count(DISTINCT lower("Email")) FROM "Lead"'),
        "written_again": one(
            'SELECT count(*) FROM "Lead" WHERE "LastModifiedDate" <> "CreatedDate"'
        ),
    }


def _created(results: list[tuple[int, str, str]]) -> int:
    return sum(int(json.loads(out)["created"]) for code, out, _ in results if code == 0)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_then_four_concurrent_sync_once_push_each_prospect_once(
    home: Path, fresh_org: SandboxClient
) -> None:
    assert fresh_org.server.backend.schema.object("Lead").field("LeadBridge_Prospect_Id__c") is None  # type: ignore[union-attr]

    # Two at once, without --wait: one pushes, the other says who holds the lease and exits 7.
    _add_assigned(0, PROSPECTS)
    started = time.monotonic()
    two = _sync_once_processes(home, 2)
    two_seconds = time.monotonic() - started
    codes = sorted(code for code, _, _ in two)
    assert codes[0] == 0 and set(codes) <= {0, LEASE_HELD_EXIT}, two
    for code, _, err in two:
        if code == LEASE_HELD_EXIT:
            assert "another sync is running: host" in err and "pid" in err and "since" in err
            assert "Nothing was pushed" in err
    assert _created(two) == PROSPECTS
    assert _lead_checks(fresh_org) == {"leads": PROSPECTS, "emails": PROSPECTS, "written_again": 0}

    # Four at once, with --wait: they take turns; the first pushes, the others find it done.
    _add_assigned(PROSPECTS, PROSPECTS)
    started = time.monotonic()
    four = _sync_once_processes(home, 4, "--wait", "--timeout", "240")
    four_seconds = time.monotonic() - started
    assert [code for code, _, _ in four] == [0, 0, 0, 0], four
    assert _created(four) == PROSPECTS
    total = 2 * PROSPECTS
    assert _lead_checks(fresh_org) == {"leads": total, "emails": total, "written_again": 0}
    print(f"\ntwo processes: {two_seconds:.1f} s; four processes: {four_seconds:.1f} s")


def test_a_second_sync_once_while_the_lease_is_held_never_pushes(
    home: Path, fresh_org: SandboxClient
) -> None:
    _add_assigned(0, 3)
    other = SyncLease(context.database(), context.clock())
    held = other.try_acquire()
    assert held is not None
    context.reset()
    [(code, out, err)] = _sync_once_processes(home, 1)
    assert code == LEASE_HELD_EXIT and out == ""
    assert f"pid {os.getpid()}" in " ".join(err.split())
    assert _lead_checks(fresh_org)["leads"] == 0
    with pytest.raises(LeaseHeldError):
        SyncLease(context.database(), context.clock()).acquire(wait=0)
    other.release()
    [(code, out, _)] = _sync_once_processes(home, 1)
    assert code == 0 and json.loads(out)["created"] == 3
    context.reset()
