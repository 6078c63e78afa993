"""10,000,000 prospects in PostgreSQL: how long a change to one prospect takes to reach
Salesforce with `leadbridge serve --no-sync` and 4 `leadbridge worker` processes at a 5 s
poll (issue 11's target: within one poll interval plus 2 s).

    python -m bench.latency10m [--prospects N] [--samples 10] [--poll 5] [--workers 4]
    python -m bench --only latency10m

The database (`leadbridge_bench_10m`, or BENCH_10M_DB) is kept across runs: it is seeded
with COPY only when its prospect count differs from N (10,000,000 background prospects,
unassigned, each with a done push in the outbox's history, as after years of use; indexes
built after the COPY), and the seeding time is printed. Each run then takes a fresh sandbox
org (file-backed, in its own process), connects to it, adds `samples` prospects assigned to
a sales rep and lets the workers push them (their leads), and then, `samples` times at random
moments, changes one prospect's title the way `leadbridge prospects edit` does (the CLI's
ProspectService, in this process) and polls the sandbox's REST query (`SELECT Title FROM Lead
WHERE Id = …`, not leadbridge's store) until it shows the new value. It prints p50, p95 and
max against poll + 2 s, and EXPLAIN of the hot path's queries at that size (the dispatch's
count_pending, the push's claim and its claims' upkeep): a Seq Scan on prospects or the
outbox there is reported as a problem.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests
from sqlalchemy import Table, create_engine, delete, func, select, text, update
from sqlalchemy.dialects import postgresql

from bench.push import _seed_org
from bench.remote import ROOT, RemoteSandbox, connect, free_port, password_token, stop
from leadbridge.domain.fields import Origin
from leadbridge.marketing.prospects import ProspectService
from leadbridge.ports import SystemClock
from leadbridge.store import Database, ProspectRepository, UserRepository, open_database
from leadbridge.store.models import Base, OutboxRow, ProspectRow

PROSPECTS = 10_000_000
SAMPLES = 10
POLL_S = 5
WORKERS = 4
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
KEPT = frozenset({"prospects", "outbox", "alembic_version"})
COPY_BLOCK = 200_000
PG_DIALECT: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
SEEDED_AT = datetime(2024, 1, 1, tzinfo=UTC)
CONDITIONS = (
    "PostgreSQL on this machine; N background prospects (unassigned, each with a done push in "
    "the outbox's history) seeded once with COPY and kept; a fresh sandbox org file-backed in "
    "its own process; `serve --no-sync` and K `leadbridge worker --concurrency 1` processes; "
    "each sample: one prospect's title changed as `prospects edit` does, timed from the call "
    "until the sandbox's REST query returns the new value (polled every 50 ms)"
)


def database_url() -> str:
    return f"{PG_SERVER}/{os.environ.get('BENCH_10M_DB', 'leadbridge_bench_10m')}"


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def ensure_database(url: str) -> None:
    """The database, created if missing, migrated."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_plain(f"{PG_SERVER}/postgres"), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    open_database(url).dispose()


def reset_run_state(url: str, prospects: int) -> int:
    """Forget the last run (connector, users, its prospects and jobs); the background
    prospects and their history stay. How many background prospects there are."""
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("SET search_path TO procrastinate, public")
        conn.execute("DELETE FROM procrastinate_jobs")
        conn.execute("DELETE FROM procrastinate_periodic_defers")
        conn.execute("DELETE FROM procrastinate_workers")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(delete(OutboxRow).where(OutboxRow.id > prospects))
            conn.execute(delete(ProspectRow).where(ProspectRow.id > prospects))
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in KEPT:
                    conn.execute(delete(table))
            count = conn.execute(select(func.count()).select_from(ProspectRow)).scalar_one()
            top = conn.execute(select(func.max(ProspectRow.id))).scalar_one()
    finally:
        engine.dispose()
    return int(count) if top == count else -1


def seed(url: str, prospects: int) -> float:
    """COPY `prospects` background prospects and their done pushes; seconds it took."""
    started = time.perf_counter()
    tables: list[Table] = [ProspectRow.__table__, OutboxRow.__table__]  # type: ignore[list-item]
    with psycopg.connect(_plain(url)) as conn:
        conn.execute("TRUNCATE prospects, outbox RESTART IDENTITY CASCADE")
        for table in tables:
            for index in table.indexes:
                conn.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        at = SEEDED_AT.isoformat()
        with conn.cursor().copy(
            "COPY prospects (id, email, email_key, last_name, company, score, opted_out, "
            "do_not_email, do_not_call, do_not_sync, recycled, deleted_in_crm, created_at, "
            "updated_at) FROM STDIN"
        ) as copy:
            for block in _blocks(prospects):
                copy.write(
                    "".join(
                        f"{n}\tbg{n}@bench10m.example.com\tbg{n}@bench10m.example.com\tLast{n}"
                        f"\tCompany {n % 5000}\t{n % 100}\tf\tf\tf\tf\tf\tf\t{at}\t{at}\n"
                        for n in block
                    )
                )
        with conn.cursor().copy(
            "COPY outbox (id, kind, prospect_id, reason, created_at, attempts, available_at, "
            "done_at) FROM STDIN"
        ) as copy:
            for block in _blocks(prospects):
                copy.write(
                    "".join(f"{n}\tpush\t{n}\tcreated\t{at}\t0\t{at}\t{at}\n" for n in block)
                )
        for name in ("prospects", "outbox"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {prospects})")
        conn.commit()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
            for table in tables:
                for index in table.indexes:
                    index.create(conn)
            conn.execute(text("ANALYZE prospects"))
            conn.execute(text("ANALYZE outbox"))
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _blocks(count: int) -> Iterator[range]:
    for start in range(1, count + 1, COPY_BLOCK):
        yield range(start, min(start + COPY_BLOCK, count + 1))


def hot_path_plans(url: str) -> list[tuple[str, str, bool]]:
    """(query, its plan, a Seq Scan on prospects or the outbox in it) for the queries every
    dispatch and push job runs."""
    now = datetime.now(UTC)
    worker = "bench:1:abc"
    ids = list(range(1, 201))
    queries: dict[str, Any] = {
        "dispatch: count_pending": select(func.count()).where(
            OutboxRow.kind == "push", OutboxRow.done_at.is_(None)
        ),
        "push: claim (due items)": select(OutboxRow)
        .where(
            OutboxRow.kind == "push",
            OutboxRow.done_at.is_(None),
            OutboxRow.available_at <= now,
            (OutboxRow.claimed_until.is_(None)) | (OutboxRow.claimed_until <= now),
        )
        .order_by(OutboxRow.available_at, OutboxRow.id)
        .limit(2000)
        .with_for_update(skip_locked=True),
        "push: claim (others' live claims)": select(OutboxRow.prospect_id).where(
            OutboxRow.kind == "push",
            OutboxRow.done_at.is_(None),
            OutboxRow.prospect_id.in_(ids),
            OutboxRow.claimed_by != worker,
            OutboxRow.claimed_until > now,
        ),
        "push: claims lost (lapsed)": select(func.count()).where(
            OutboxRow.claimed_by == worker,
            OutboxRow.done_at.is_(None),
            OutboxRow.claimed_until <= now,
        ),
        "push: extend claims": update(OutboxRow)
        .where(
            OutboxRow.claimed_by == worker,
            OutboxRow.done_at.is_(None),
            OutboxRow.claimed_until > now,
        )
        .values(claimed_until=now + timedelta(seconds=30)),
        "push: release claims": update(OutboxRow)
        .where(OutboxRow.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None),
        "push: prospects of a wave": select(ProspectRow.id).where(ProspectRow.id.in_(ids)),
    }
    plans = []
    with psycopg.connect(_plain(url)) as conn:
        for name, query in queries.items():
            sql = str(query.compile(dialect=PG_DIALECT, compile_kwargs={"literal_binds": True}))
            rows = conn.execute(f"EXPLAIN {sql}").fetchall()
            plan = "\n".join(str(row[0]) for row in rows)
            seq = any(f"Seq Scan on {t}" in plan for t in ("prospects", "outbox"))
            plans.append((name, plan, seq))
        conn.rollback()
    return plans


def _targets(db: Database, admin: str, count: int) -> list[int]:
    """`count` prospects assigned to a sales rep: the workers push them (their leads)."""
    clock = SystemClock()
    with db.session() as session:
        users = UserRepository(session)
        rep = next(u for u in users.list() if u.crm_username and u.crm_username != admin.lower())
        prospects = ProspectRepository(session, clock)
        ids = []
        for n in range(count):
            values = {"email": f"target{n}@latency.example.com", "last_name": f"T{n}"}
            prospect = prospects.add(values, origin=Origin.USER, actor="bench")
            prospects.assign(prospect.id, rep.id, origin=Origin.USER, actor="bench")
            ids.append(prospect.id)
        return ids


def _leads(url: str, ids: list[int]) -> dict[int, str]:
    with psycopg.connect(_plain(url)) as conn:
        rows = conn.execute(
            "SELECT id, crm_lead_id FROM prospects WHERE id = ANY(%s) AND crm_lead_id IS NOT NULL",
            [ids],
        ).fetchall()
        pending = conn.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'push' AND done_at IS NULL"
        ).fetchone()
    return {int(pid): str(lead) for pid, lead in rows} if pending == (0,) else {}


def _all_pushed(url: str, ids: list[int]) -> dict[int, str]:
    found = _leads(url, ids)
    return found if len(found) == len(ids) else {}


class SandboxQuery:
    """The sandbox org's REST query, as any API client (not leadbridge's store)."""

    def __init__(self, sandbox: RemoteSandbox) -> None:
        creds = sandbox.credentials
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = str(sandbox.ca_file)
        token = password_token(self.http, sandbox.instance_url, creds)
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.url = f"{sandbox.instance_url}/services/data/v59.0/query"

    def title(self, lead_id: str) -> str | None:
        reply = self.http.get(
            self.url, params={"q": f"SELECT Title FROM Lead WHERE Id = '{lead_id}'"}, timeout=30
        )
        reply.raise_for_status()
        records = reply.json()["records"]
        return records[0]["Title"] if records else None


def measure(
    url: str, prospects: int, samples: int, poll: int, workers: int
) -> tuple[list[float], list[float]]:
    """Latencies (s) from the edit's start, and from its commit, to the sandbox's answer."""
    with tempfile.TemporaryDirectory() as tmp:
        org_dir, home = Path(tmp) / "org", Path(tmp) / "home"
        home.mkdir()
        _seed_org(org_dir, 0)
        with RemoteSandbox(org_dir) as sandbox:
            db = open_database(url)
            processes: list[subprocess.Popen[bytes]] = []
            try:
                service = connect(db, org_dir, home)
                service.set("poll_interval_seconds", str(poll))
                ids = _targets(db, sandbox.credentials["username"], samples)
                env = {**os.environ, "LEADBRIDGE_HOME": str(home), "LEADBRIDGE_DATABASE_URL": url}
                env.pop("LEADBRIDGE_SECRET_KEY", None)
                command = [sys.executable, "-m", "leadbridge.cli.main"]
                logs = [(home / f"{n}.log").open("wb") for n in range(workers + 1)]
                serve = [*command, "serve", "--no-sync", "--port", str(free_port())]
                worker = [*command, "worker", "--concurrency", "1"]
                for n, log in enumerate(logs):
                    processes.append(
                        subprocess.Popen(
                            serve if n == 0 else worker,
                            cwd=ROOT,
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )
                leads = _wait(lambda: _all_pushed(url, ids))
                query = SandboxQuery(sandbox)
                return _samples(db, query, leads, poll)
            finally:
                for process in processes:
                    stop(process)
                db.dispose()


def _wait(check: Any, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise RuntimeError(f"the target prospects were not pushed within {seconds} s")


def _samples(
    db: Database, query: SandboxQuery, leads: dict[int, str], poll: int
) -> tuple[list[float], list[float]]:
    service = ProspectService(db, SystemClock())
    from_start: list[float] = []
    from_commit: list[float] = []
    for prospect_id, lead_id in leads.items():
        time.sleep(random.uniform(0, poll))  # a random moment in the poll cycle
        value = f"Edited {uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        service.edit(str(prospect_id), {"job_title": value})
        committed = time.perf_counter()
        while query.title(lead_id) != value:
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"prospect {prospect_id}'s change not in Salesforce in 120 s")
            time.sleep(0.05)
        ended = time.perf_counter()
        from_start.append(ended - started)
        from_commit.append(ended - committed)
        print(f"  sample {len(from_start)}: {ended - started:.2f} s", flush=True)
    return from_start, from_commit


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def latency10m_bench(
    prospects: int = PROSPECTS, samples: int = SAMPLES, poll: int = POLL_S, workers: int = WORKERS
) -> Iterator[tuple[str, float, str, str]]:
    url = database_url()
    ensure_database(url)
    if reset_run_state(url, prospects) != prospects:
        print(f"latency10m: seeding {prospects:,} prospects with COPY …", flush=True)
        seconds = seed(url, prospects)
        yield (f"latency10m: seed {prospects:,} prospects (COPY, indexes)", seconds, "s", "(once)")
    for name, plan, seq in hot_path_plans(url):
        print(f"latency10m: EXPLAIN {name}:\n    " + plan.replace("\n", "\n    "), flush=True)
        yield (f"latency10m: {name}: Seq Scan on prospects/outbox", float(seq), "", "0")
    start, commit = measure(url, prospects, samples, poll, workers)
    label = f"latency10m: {prospects:,} prospects, {workers} workers, {poll} s poll: change"
    target = f"<= {poll + 2} s"
    yield (f"{label} reaches Salesforce, p50", statistics.median(start), "s", target)
    yield (f"{label} reaches Salesforce, p95", _p95(start), "s", target)
    yield (f"{label} reaches Salesforce, max", max(start), "s", target)
    yield (f"{label} committed → Salesforce, max", max(commit), "s", "(report)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prospects", type=int, default=PROSPECTS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--poll", type=int, default=POLL_S)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args()
    print(CONDITIONS, flush=True)
    for name, value, unit, target in latency10m_bench(
        args.prospects, args.samples, args.poll, args.workers
    ):
        print(f"{name:88} {value:12,.2f}  {unit:4} {target}", flush=True)


if __name__ == "__main__":
    main()
