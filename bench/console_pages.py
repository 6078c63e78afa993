"""Console page benchmarks: the Sync Errors page over 100,000 sync errors, through the real
route (the whole ASGI app in process: session check, query, template), signed in as an
administrator; the first page and filtered pages, median of RUNS, on SQLite and (when one
answers at 127.0.0.1:5432) PostgreSQL. `make bench` prints them with the others."""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from leadbridge.api import create_app
from leadbridge.auth import AuthService
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store import Database, ProspectRepository, open_database
from leadbridge.store.models import SyncErrorRow
from leadbridge.store.users import UserRepository

ERRORS = 100_000
PROSPECTS = 25_000
RUNS = 15
TARGET = "<= 200 ms"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench password, long enough"
# (code, object, share): data errors dominate, as on a real org
_CODES = (
    ("INVALID_EMAIL_ADDRESS", "Lead", 30),
    ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Lead", 20),
    ("STRING_TOO_LONG", "Contact", 15),
    ("DUPLICATES_DETECTED", "Lead", 15),
    ("INACTIVE_OWNER_OR_USER", "Lead", 8),
    ("ENTITY_IS_DELETED", "Contact", 6),
    ("UNABLE_TO_LOCK_ROW", "Lead", 5),
    ("REQUEST_LIMIT_EXCEEDED", "Lead", 1),
)
Row = tuple[str, float, str, str]


def _load(db: Database, errors: int, prospects: int) -> float:
    started = time.perf_counter()
    clock = SystemClock()
    with db.session() as session:
        ProspectRepository(session, clock).bulk_insert(
            ({"email": f"person.{n}@bench{n % 97}.example"} for n in range(prospects)),
            origin=Origin.IMPORT,
        )
    chooser = random.Random(7)
    weighted = [(code, obj) for code, obj, share in _CODES for _ in range(share)]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for start in range(0, errors, 10_000):
        rows = []
        for n in range(start, min(start + 10_000, errors)):
            code, obj = chooser.choice(weighted)
            seen = base + timedelta(seconds=n * 30 + chooser.randrange(30))
            rows.append(
                {
                    "prospect_id": 1 + n % prospects,
                    "crm_object": obj,
                    "error_code": code,
                    "message": f"{code.replace('_', ' ').lower()}: value {n}",
                    "fields": ["Email"],
                    "attempts": 1 + n % 4,
                    "first_seen_at": seen - timedelta(days=1),
                    "last_seen_at": seen,
                    "resolved_at": seen if n % 10 == 0 else None,
                }
            )
        with db.session() as session:
            session.execute(insert(SyncErrorRow), rows)
    return time.perf_counter() - started


def _signed_in(db: Database) -> TestClient:
    with db.session() as session:
        UserRepository(session).add("bench@console.example", "Bench", "admin")
    AuthService(db, SystemClock()).set_password("bench@console.example", PASSWORD)
    client = TestClient(create_app(db, SystemClock()), follow_redirects=False)
    form = client.get("/sign-in").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/sign-in",
        data={"email": "bench@console.example", "password": PASSWORD,
              "form_token": token.group(1), "next": "/"},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def _median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm: templates compiled, caches filled
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _page(client: TestClient, url: str) -> Callable[[], None]:
    def get() -> None:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text[:500]
        assert 'id="error-' in answer.text

    return get


def _pages(db: Database, backend: str) -> Iterator[Row]:
    seconds = _load(db, ERRORS, PROSPECTS)
    yield (f"Sync Errors {backend}: load {ERRORS:,} errors", seconds, "s", "(report)")
    if backend == "PostgreSQL":  # the statistics autovacuum keeps after a bulk load
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    client = _signed_in(db)
    second = client.get("/sync-errors")
    found = re.search(r'href="\?(after=[^"]+)" rel="next"', second.text)
    assert found is not None
    for name, url in (
        ("first page", "/sync-errors"),
        ("kind=data", "/sync-errors?kind=data"),
        ("code and object", "/sync-errors?code=STRING_TOO_LONG&object=Contact"),
        ("email starts with", "/sync-errors?email=person.12"),
        ("prospect id", "/sync-errors?prospect=4242&state=all"),
        ("next page", f"/sync-errors?{found.group(1)}"),
    ):
        yield (f"Sync Errors {backend}: {name}", _median_ms(_page(client, url)),
               "ms", TARGET)  # fmt: skip


@contextmanager
def _postgres() -> Iterator[str | None]:
    name = f"lb_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        yield None
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def console_bench() -> Iterator[Row]:
    """The figures, each with its conditions in its name; a note when PostgreSQL is away."""
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'console.sqlite3'}")
        try:
            yield from _pages(db, "SQLite")
        finally:
            db.dispose()
    with _postgres() as url:
        if url is None:
            print(f"note: no PostgreSQL at {PG_ADMIN}: the PostgreSQL figures are skipped")
            return
        db = open_database(url)
        try:
            yield from _pages(db, "PostgreSQL")
        finally:
            db.dispose()


def conditions() -> str:
    return (
        f"median of {RUNS} requests each through the ASGI app in process (TestClient, signed "
        f"in as an administrator; time includes auth, queries and the template), "
        f"{ERRORS:,} errors (10% resolved) over {PROSPECTS:,} prospects, 50 rows a page"
    )


if __name__ == "__main__":
    print(conditions())
    for name, value, unit, target in console_bench():
        print(f"{name:56} {value:12,.1f}  {unit:10} {target}", flush=True)
