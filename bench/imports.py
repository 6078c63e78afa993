"""Import benchmark: `leadbridge import` of a 100,000-row CSV through the real path (the
IntakeService the CLI and the HTTP app call), into a fresh SQLite file store (and a fresh
PostgreSQL database when one answers on 127.0.0.1:5432), with one active automation rule that
assigns every French prospect to a user group in turn (round-robin) and adds to its score.

The connector is connected to a sandbox org in its own process (`leadbridge sandbox serve`,
HTTPS, file-backed, 0 ms latency: the import's process does only the import, as a user's
`leadbridge import` against a real org does) holding a contact for 5 % of the emails and a
lead for another 5 %, so every batch makes its two email lookups as a real import does.
Prints rows/s and the API calls the org counted.

    python -m bench.imports [ROWS]
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.remote import RemoteSandbox, connect
from leadbridge.automation import GroupService, RuleService
from leadbridge.importing.service import IntakeService
from leadbridge.ports import SystemClock
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import seed_org
from leadbridge.store import Database, UserRepository, open_database

ROWS = 100_000
TARGET = 5_000
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
_COUNTRIES = ("France", "Germany", "France", "Spain")


def _email(number: int) -> str:
    return f"person.{number}@import{number % 97}.example.com"


def _csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "first_name", "last_name", "company", "country"])
    for n in range(rows):
        writer.writerow([_email(n), f"First{n}", f"Last{n}", "Bench", _COUNTRIES[n % 4]])
    return out.getvalue().encode()


def _seed_org(org_dir: Path, rows: int) -> None:
    """Written to the org's file before its process starts."""
    with SandboxServer(SandboxConfig(data_dir=org_dir, random_seed=1)) as server:
        _seed(server, rows)


def _seed(server: SandboxServer, rows: int) -> None:
    from bench.push import NOTHING_BUT_USERS

    org = server.backend.org
    seed_org(org, seed=1, sizes=NOTHING_BUT_USERS)
    step = 20  # one email in 20 is a contact, the next one a lead
    org.insert_raw(
        "Contact", [{"LastName": f"C{n}", "Email": _email(n)} for n in range(0, rows, step)]
    )
    org.insert_raw(
        "Lead",
        [
            {"LastName": f"L{n}", "Company": "Bench", "Email": _email(n)}
            for n in range(1, rows, step)
        ],
    )


def _rule(db: Database) -> None:
    clock = SystemClock()
    with db.session() as session:
        users = UserRepository(session)
        emails = [
            users.add(f"rep{n}@bench.example", f"Rep {n}", role="sales").email for n in (1, 2)
        ]
    GroupService(db, clock).add("reps", emails)
    RuleService(db, clock).add(
        "French to the reps",
        criteria=[{"field": "country", "op": "equals", "value": "France"}],
        actions=[{"type": "assign_group", "group": "reps"}, {"type": "adjust_score", "by": 5}],
    )


def _import(
    db: Database, sandbox: RemoteSandbox, home: Path, data: bytes, rows: int
) -> tuple[float, float, int]:
    """(rows imported per second, prospects per second of a `rules run` over them all, API
    calls the org counted during the import)."""
    home.mkdir(parents=True, exist_ok=True)
    service = connect(db, sandbox.data_dir, home)
    _rule(db)
    intake = IntakeService(db, SystemClock(), service.client)
    used = sandbox.usage()
    started = time.perf_counter()
    summary = intake.import_csv(data)
    seconds = time.perf_counter() - started
    calls = sandbox.usage() - used
    assert summary.stopped is None, summary.stopped
    assert summary.written == rows, summary.written
    rules = RuleService(db, SystemClock())
    rules.add(
        "Spanish to the reps",
        criteria=[{"field": "country", "op": "equals", "value": "Spain"}],
        actions=[{"type": "assign_group", "group": "reps"}, {"type": "adjust_score", "by": 1}],
    )
    started = time.perf_counter()
    report = rules.run("Spanish to the reps")
    run_seconds = time.perf_counter() - started
    assert report["fired"] == rows // 4, report["fired"]
    return rows / seconds, rows / run_seconds, calls


def _postgres_url() -> str | None:
    try:
        engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            name = f"bench_imports_{uuid.uuid4().hex[:8]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return name
    except Exception:  # no PostgreSQL here: the SQLite figure only
        return None


def _drop(name: str) -> None:
    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def imports_bench(rows: int = ROWS) -> Iterator[tuple[str, float, str, str]]:
    data = _csv(rows)
    label = f"import {rows:,} rows, assignment rule"
    conditions = "sandbox file-backed in its own process, 0 ms"
    with tempfile.TemporaryDirectory() as tmp:
        _seed_org(Path(tmp) / "org", rows)
        with RemoteSandbox(Path(tmp) / "org") as sandbox:
            yield from _both_stores(sandbox, Path(tmp), data, rows, label, conditions)


def _both_stores(
    sandbox: RemoteSandbox, tmp: Path, data: bytes, rows: int, label: str, conditions: str
) -> Iterator[tuple[str, float, str, str]]:
    db = open_database(f"sqlite:///{tmp / 'store.sqlite3'}")
    try:
        rate, run_rate, calls = _import(db, sandbox, tmp / "sqlite", data, rows)
    finally:
        db.dispose()
    yield (f"{label}, SQLite ({conditions})", rate, "rows/s", f">= {TARGET:,}/s")
    yield (f"{label}: API calls (counted by the org)", calls, "calls", "report")
    yield (f"rules run over {rows:,} prospects, SQLite", run_rate, "prospects/s", "report")
    name = _postgres_url()
    if name is None:
        return
    db = open_database(f"{POSTGRES}/{name}")
    try:
        rate, run_rate, calls = _import(db, sandbox, tmp / "postgres", data, rows)
    finally:
        db.dispose()
        _drop(name)
    yield (f"{label}, PostgreSQL ({conditions})", rate, "rows/s", f">= {TARGET:,}/s")
    yield (f"{label}: API calls (counted by the org)", calls, "calls", "report")
    yield (f"rules run over {rows:,} prospects, PostgreSQL", run_rate, "prospects/s", "report")


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    for name, value, unit, target in imports_bench(size):
        print(f"{name:60} {value:12,.1f}  {unit:8} {target}", flush=True)
