"""The console's Prospects page over 1,000,000 prospects, on SQLite and PostgreSQL.

Each figure is the median server time of the real route (`GET /prospects…`) through the
ASGI app, signed in as an administrator: the first page, a page deep in the keyset (the
`after` position of a row 900,000 rows down), searches, and each filter without a search
(unassigned, deleted in Salesforce, with open sync errors, assigned to a user). One prospect
in 500 is in the recycle bin (half of those deleted in Salesforce) and one in 200 has a sync
error (half of them open). After the load the planner's statistics are gathered (ANALYZE;
VACUUM ANALYZE on PostgreSQL), as autovacuum keeps them on a real server.

The loaded database is kept between runs (SQLite: .leadbridge/bench/; PostgreSQL: a
database named after the data and its DATA_VERSION), so only the first run pays for the
load; it is rebuilt when its row count is off. Bump DATA_VERSION when the rows or the
schema's indexes change: an edited migration is not applied to an already migrated copy.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, insert, make_url, select, text

from leadbridge.api import create_app
from leadbridge.auth import AuthService
from leadbridge.store import Database, UserRepository, open_database
from leadbridge.store.models import ProspectRow, SyncErrorRow
from leadbridge.store.prospect_search import ListedProspect, Sort, cursor_of

PROSPECTS = 1_000_000
RUNS = 15
TARGET = "<= 150 ms"
DATA_VERSION = 2  # 2: recycled, deleted in Salesforce and sync errors; ANALYZE after load
CACHE_DIR = Path(".leadbridge/bench")
PG_ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)
PASSWORD = "bench password, long enough"
ADMIN = "bench.admin@example.com"
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell")
_LAST = ("Lovelace", "Hopper", "Turing", "Knuth", "Liskov", "Ritchie", "Thompson", "Dijkstra")
START = datetime(2025, 1, 1, tzinfo=UTC)
PROSPECT_TABLE: Table = ProspectRow.__table__  # type: ignore[assignment]
COLUMNS = (
    "email",
    "email_key",
    "first_name",
    "last_name",
    "company",
    "city",
    "score",
    "assigned_user_id",
    "crm_lead_id",
    "opted_out",
    "do_not_email",
    "do_not_call",
    "do_not_sync",
    "recycled",
    "deleted_in_crm",
    "created_at",
    "updated_at",
)


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _row(number: int, user_id: int) -> tuple[Any, ...]:
    email = f"person.{number}@example{number % 997}.com"
    created = START + timedelta(seconds=number * 20)
    updated = created + timedelta(seconds=(number * 7919) % 5_000_000)
    last = f"{_LAST[number % len(_LAST)]}{number}"
    crm = f"00Q{number:015d}" if number % 3 == 0 else None
    assigned = user_id if number % 2 == 0 else None
    company = f"{_COMPANIES[number % len(_COMPANIES)]} {number % 5000}"
    recycled = number % 500 == 7
    deleted = number % 1000 == 7
    return (email, email, f"First{number}", last, company, "Paris", number % 100, assigned,
            crm, False, False, False, False, recycled, deleted, created, updated)  # fmt: skip


def _errors(connection: Any) -> None:
    """A sync error for one prospect in 200: half open, half resolved."""
    ids = connection.execute(
        select(ProspectRow.id, ProspectRow.updated_at).where(ProspectRow.id % 200 == 3)
    ).all()
    rows = [
        {"prospect_id": row.id, "crm_object": "Lead", "error_code": "INVALID_EMAIL_ADDRESS",
         "message": "invalid email address", "fields": ["Email"], "attempts": 1,
         "first_seen_at": row.updated_at, "last_seen_at": row.updated_at,
         "resolved_at": row.updated_at if index % 2 else None}
        for index, row in enumerate(ids)
    ]  # fmt: skip
    connection.execute(insert(SyncErrorRow), rows)


def _analyze(db: Database) -> None:
    """The planner's statistics, as autovacuum keeps them on a real server."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()


def _load(db: Database, count: int, user_id: int) -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            raw: Any = connection.connection.dbapi_connection
            with raw.cursor() as cursor:
                columns = ", ".join(COLUMNS)
                with cursor.copy(f"COPY prospects ({columns}) FROM STDIN") as copy:
                    for number in range(count):
                        copy.write_row(_row(number, user_id))
            _errors(connection)
            return
        statement = insert(PROSPECT_TABLE)
        chunk: list[dict[str, Any]] = []
        for number in range(count):
            chunk.append(dict(zip(COLUMNS, _row(number, user_id), strict=True)))
            if len(chunk) == 20_000:
                connection.execute(statement, chunk)
                chunk = []
        if chunk:
            connection.execute(statement, chunk)
        _errors(connection)


def _admin(db: Database) -> int:
    with db.session() as session:
        users = UserRepository(session)
        user = users.by_email(ADMIN) or users.add(ADMIN, "Bench Admin", "admin")
    AuthService(db, _Clock()).set_password(ADMIN, PASSWORD)
    return user.id


def _prepared(url: str, count: int) -> tuple[Database, float | None]:
    """The database at `url` with `count` prospects; the load's seconds if it loaded now."""
    db = open_database(url)
    user_id = _admin(db)
    with db.session(readonly=True) as session:
        present = int(session.scalar(select(func.count()).select_from(PROSPECT_TABLE)) or 0)
    if present == count:
        return db, None
    if present:
        with db.engine.begin() as connection:
            connection.execute(PROSPECT_TABLE.delete())
    started = time.perf_counter()
    _load(db, count, user_id)
    _analyze(db)
    return db, time.perf_counter() - started


def _client(db: Database) -> TestClient:
    client = TestClient(create_app(db, _Clock()), base_url="http://127.0.0.1")
    grant = AuthService(db, _Clock()).sign_in(ADMIN, PASSWORD, client="bench")
    client.cookies.set("lb_session", grant.token)
    return client


def _median_ms(client: TestClient, url: str, check: Callable[[str], bool]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:500])
        assert check(response.text), url
    return statistics.median(timings)


def _deep_after(db: Database, count: int) -> str:
    """The keyset position of the row `count * 0.9` down the default (last updated) order."""
    with db.session(readonly=True) as session:
        row = session.execute(
            select(ProspectRow.id, ProspectRow.updated_at)
            .order_by(ProspectRow.updated_at.desc(), ProspectRow.id.desc())
            .offset(int(count * 0.9))
            .limit(1)
        ).one()
    listed = ListedProspect(row.id, "", None, None, None, None, None, None, None, False,
                            False, False, 0, row.updated_at, row.updated_at)  # fmt: skip
    return cursor_of(listed, Sort.UPDATED)


def _admin_id(db: Database) -> int:
    with db.session(readonly=True) as session:
        user = UserRepository(session).by_email(ADMIN)
    assert user is not None
    return user.id


def _figures(label: str, db: Database, count: int) -> Iterator[tuple[str, float, str, str]]:
    rows = 'class="prospect-row"'
    pages: list[tuple[str, str, Callable[[str], bool]]] = [
        ("page 1", "/prospects", lambda page: rows in page),
        ("page 90% deep", f"/prospects?after={quote(_deep_after(db, count))}",
         lambda page: rows in page),
        ("search 'hopper12'", "/prospects?q=hopper12", lambda page: "Hopper12" in page),
        ("search 'acme' (broad)", "/prospects?q=acme", lambda page: "Acme" in page),
        ("search an email", "/prospects?q=person.77777%40", lambda page: "person.77777@" in page),
        ("filter unassigned", "/prospects?assigned=none", lambda page: rows in page),
        ("filter deleted in SF", "/prospects?show=deleted", lambda page: rows in page),
        ("filter open errors", "/prospects?errors=1", lambda page: rows in page),
        ("filter assigned", f"/prospects?assigned={_admin_id(db)}",
         lambda page: rows in page),
    ]  # fmt: skip
    with _client(db) as client:
        client.get("/prospects")  # warm the app and the database's cache
        for name, url, check in pages:
            yield (f"prospects {name} ({label})", _median_ms(client, url, check), "ms", TARGET)


def _postgres_url(count: int) -> str | None:
    name = f"leadbridge_bench_prospects_{count}_v{DATA_VERSION}"
    for admin in PG_ADMIN_URLS:
        dsn = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as connection:
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                ).fetchone()
                if not exists:
                    connection.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error:
            continue
        return make_url(admin).set(database=name).render_as_string(hide_password=False)
    return None


def prospects_bench(count: int = PROSPECTS) -> Iterator[tuple[str, float, str, str]]:
    print(f"# prospects page: {count:,} prospects, median of {RUNS} GETs through the ASGI app "
          "(TestClient, signed in as an administrator), 50 rows a page", flush=True)  # fmt: skip
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    targets = [("SQLite", f"sqlite:///{CACHE_DIR / f'prospects-{count}-v{DATA_VERSION}.sqlite3'}")]
    pg = _postgres_url(count)
    if pg is None:
        print("# PostgreSQL skipped: no server at 127.0.0.1:5432 (trust auth)", flush=True)
    else:
        targets.append(("PostgreSQL", pg))
    for label, url in targets:
        db, loaded = _prepared(url, count)
        try:
            if loaded is not None:
                yield (f"prospects: load {count:,} ({label})", loaded, "s", "(setup)")
            yield from _figures(label, db, count)
        finally:
            db.dispose()
