"""Helpers for the store suite: a controllable clock and a PostgreSQL server to test on."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import make_url

ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)


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


def find_postgres() -> tuple[PostgresServer | None, str]:
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


def unique_name(purpose: str) -> str:
    return f"leadbridge_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
