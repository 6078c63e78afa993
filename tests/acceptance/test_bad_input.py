"""Bad input never gets a 500: huge or non-ASCII-digit ids, out-of-range numbers and odd
headers get a clear 4xx with the error envelope; what goes wrong inside the server (the
database, Salesforce, a bug) is told to callers in a plain sentence, never with its details."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.api.params import PageSize, RowIdPath, RowIdQuery
from leadbridge.errors import ConfigurationError, CrmError, LeadbridgeError
from leadbridge.ports import SystemClock
from leadbridge.store import Database, open_database
from leadbridge.store.database import StoreTransientError
from tests.console import bearer


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'lb.sqlite3'}")
    yield database
    database.dispose()


@pytest.fixture
def app(db: Database) -> FastAPI:
    return create_app(db, SystemClock())


@pytest.fixture
def client(app: FastAPI, db: Database) -> Iterator[TestClient]:
    """Signed in with an administrator's API key: past authentication, the input is what
    is judged."""
    with TestClient(app, raise_server_exceptions=False, headers=bearer(db)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "key",
    [
        "٣",  # an Arabic-Indic digit: str.isdigit() says yes
        "²",  # a superscript: isdigit() says yes, int() refuses it
        "99999999999999999999999",  # past SQLite's and PostgreSQL's integers
        "2147483648",  # past PostgreSQL's 32-bit ids
        "0",
        "9" * 5000,
    ],
)
def test_a_prospect_id_no_row_can_have_is_not_found(client: TestClient, key: str) -> None:
    response = client.get(f"/api/v1/prospects/{key}")
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"].startswith("no ")


@pytest.mark.parametrize(
    ("error", "status", "hidden"),
    [
        (
            StoreTransientError("database is locked: /srv/leadbridge/leadbridge.sqlite3"),
            503,
            "/srv",
        ),
        (ConfigurationError("no credentials in /home/ops/.leadbridge/secret"), 503, "/home"),
        (CrmError("INVALID_FIELD", "No such column 'Secret__c' on Lead"), 502, "Secret__c"),
        (LeadbridgeError("state file /var/lib/x is broken"), 500, "/var"),
        (RuntimeError("boom at /opt/leadbridge/api.py line 3"), 500, "/opt"),
    ],
)
def test_server_side_failures_tell_nothing_internal(
    app: FastAPI, error: Exception, status: int, hidden: str
) -> None:
    @app.get("/api/v1/fails")
    async def fails() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/fails")
    assert response.status_code == status
    body = response.json()["error"]
    assert body["message"] and hidden not in response.text
    assert body["field"] is None


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/probe/99999999999999999999999", "thing_id"),
        ("/probe/٣", "thing_id"),
        ("/probe/0", "thing_id"),
        ("/probe/1?after=2147483648", "after"),
        ("/probe/1?limit=1000000000000", "limit"),
        ("/probe/1?limit=-1", "limit"),
    ],
)
def test_bounded_integer_parameters_refuse_out_of_range_numbers(
    app: FastAPI, path: str, field: str
) -> None:
    @app.get("/probe/{thing_id}")
    async def probe(thing_id: RowIdPath, after: RowIdQuery = None, limit: PageSize = 50) -> int:
        return thing_id

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path)
        assert client.get("/probe/7?after=3&limit=10").json() == 7
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
