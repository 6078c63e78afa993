"""The store suite runs twice: on a fresh SQLite file per test and on PostgreSQL.

PostgreSQL: one uniquely named database per test session (created, migrated, dropped at the
end), emptied before each test. Unreachable PostgreSQL skips those tests, or fails them when
LEADBRIDGE_REQUIRE_POSTGRES=1 (as CI sets). LEADBRIDGE_TEST_POSTGRES_URL names the server
(a URL to its maintenance database); by default postgres@127.0.0.1:5432, then root@.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import delete, make_url

from leadbridge.store import Database, SecretBox, open_database
from leadbridge.store.models import Base

ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)
REQUIRE_POSTGRES = os.environ.get("LEADBRIDGE_REQUIRE_POSTGRES") == "1"


class FakeClock:
    """A clock that moves only when told to (one second per `tick` by default)."""

    def __init__(self) -> None:
        self.current = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def tick(self, seconds: float = 1) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


@dataclass(frozen=True)
class PostgresServer:
    admin_url: str

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        url = make_url(self.admin_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        return psycopg.connect(dsn, autocommit=True, connect_timeout=3)

    def create_database(self, name: str) -> str:
        with self._connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, name: str) -> None:
        with self._connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _find_postgres() -> tuple[PostgresServer | None, str]:
    configured = os.environ.get("LEADBRIDGE_TEST_POSTGRES_URL")
    problems = []
    for url in (configured,) if configured else ADMIN_URLS:
        server = PostgresServer(url)
        try:
            server._connect().close()
        except psycopg.Error as error:
            problems.append(f"{make_url(url).render_as_string()}: {error}".strip())
            continue
        return server, ""
    return None, "; ".join(problems)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    server, problem = _find_postgres()
    if server is None:
        message = f"PostgreSQL is not reachable ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and LEADBRIDGE_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    return server


def unique_name(purpose: str) -> str:
    return f"leadbridge_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Iterator[Database]:
    name = unique_name("test")
    db = open_database(postgres_server.create_database(name))
    try:
        yield db
    finally:
        db.dispose()
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each)."""
    path = tmp_path_factory.mktemp("template") / "leadbridge.sqlite3"
    open_database(f"sqlite:///{path}").dispose()  # disposing checkpoints the WAL
    return path


def _empty(db: Database) -> None:
    """DELETE, not TRUNCATE: for the few rows a test leaves it is several times faster."""
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgresql":
        database: Database = request.getfixturevalue("postgres_database")
        _empty(database)
        yield database
        return
    path = tmp_path / "leadbridge.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    database = open_database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def secret_box(tmp_path: Path) -> SecretBox:
    return SecretBox(tmp_path / "keys" / "secret.key", environ={})
