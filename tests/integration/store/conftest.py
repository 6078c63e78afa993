"""The store suite runs twice: on a fresh SQLite file per test and on PostgreSQL.

PostgreSQL: one uniquely named database per test session (created, migrated, dropped at the
end), emptied before each test. Unreachable PostgreSQL skips those tests, or fails them when
LEADBRIDGE_REQUIRE_POSTGRES=1 (as CI sets). LEADBRIDGE_TEST_POSTGRES_URL names the server
(a URL to its maintenance database); by default postgres@127.0.0.1:5432, then root@.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from leadbridge.store import Database, SecretBox, open_database
from leadbridge.store.models import Base
from tests.integration.store.support import (
    FakeClock,
    PostgresServer,
    find_postgres,
    unique_name,
)

REQUIRE_POSTGRES = os.environ.get("LEADBRIDGE_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    server, problem = find_postgres()
    if server is None:
        message = f"PostgreSQL is not reachable ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and LEADBRIDGE_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    return server


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
