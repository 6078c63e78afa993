"""The HTTP app's outer defences: allowed hosts, security headers, HSTS over HTTPS only, and
uvicorn believing X-Forwarded-Proto only from the configured proxies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.api.security import CONSOLE_CSP, FORM_HANDLER_CSP, host_of
from leadbridge.api.server import build_server
from leadbridge.ports import SystemClock
from leadbridge.sandbox.server import free_port
from leadbridge.settings import Settings
from leadbridge.store import Database, open_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'lb.sqlite3'}")
    yield database
    database.dispose()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    app = create_app(db, SystemClock(), allowed_hosts=["testserver", "leads.example.com"])
    with TestClient(app) as test_client:
        yield test_client


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/api/v1/health"), client.get("/no/such/page")):
        assert response.headers["content-security-policy"] == CONSOLE_CSP
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain HTTP


def test_form_handler_answers_get_the_strictest_policy(client: TestClient) -> None:
    response = client.post("/form-handlers/AbCdEfGhIjKlMnOp", data={"email": "a@b.example"})
    assert response.status_code == 404
    assert response.headers["content-security-policy"] == FORM_HANDLER_CSP
    assert "frame-ancestors 'none'" in FORM_HANDLER_CSP
    assert "script-src" not in FORM_HANDLER_CSP  # default-src 'none': no script at all


def test_hsts_only_over_https(db: Database) -> None:
    app = create_app(db, SystemClock(), allowed_hosts=["leads.example.com"])
    with TestClient(app, base_url="https://leads.example.com") as secure:
        response = secure.get("/api/v1/health")
    assert response.status_code == 200
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(
    "host", ["evil.example", "leads.example.com.evil.example", "127.0.0.1", "leads.example.com:x"]
)
def test_a_host_not_allowed_gets_a_clear_400(client: TestClient, host: str) -> None:
    response = client.get("/api/v1/health", headers={"host": host})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_host"
    assert "LEADBRIDGE_ALLOWED_HOSTS" in error["message"]
    assert response.headers["x-frame-options"] == "DENY"  # headers on the refusal too


def test_allowed_hosts_with_ports_and_wildcards(db: Database) -> None:
    app = create_app(db, SystemClock(), allowed_hosts=["*.example.org", "::1"])
    with TestClient(app) as client:
        assert client.get("/api/v1/health", headers={"host": "a.example.org:8080"}).is_success
        assert client.get("/api/v1/health", headers={"host": "[::1]:8080"}).is_success
        assert client.get("/api/v1/health", headers={"host": "example.org"}).status_code == 400


def test_host_header_parsing() -> None:
    assert host_of("Example.COM:8080") == "example.com"
    assert host_of("[::1]:80") == "::1"
    assert host_of("[::1]") == "::1"
    assert host_of("[::1]x") is None
    assert host_of("a:b") is None
    assert host_of("") is None


def test_the_default_allowed_hosts_are_this_machine_and_env_lists_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().allowed_hosts == ["127.0.0.1", "localhost", "::1", "testserver"]
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("LEADBRIDGE_ALLOWED_HOSTS", "leads.example.com, *.example.org")
    monkeypatch.setenv("LEADBRIDGE_TRUSTED_PROXIES", "10.0.0.1")
    assert Settings().allowed_hosts == ["leads.example.com", "*.example.org"]
    assert Settings().trusted_proxies == ["10.0.0.1"]


def _hsts_through_live_server(db: Database, trusted: list[str]) -> str | None:
    port = free_port()
    app = create_app(db, SystemClock())
    server = build_server(app, "127.0.0.1", port, trusted_proxies=trusted)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        session = requests.Session()
        session.trust_env = False
        response = session.get(
            f"http://127.0.0.1:{port}/api/v1/health", headers={"X-Forwarded-Proto": "https"}
        )
        assert response.status_code == 200
        return response.headers.get("strict-transport-security")
    finally:
        server.should_exit = True
        thread.join(10)


def test_forwarded_proto_is_believed_only_from_trusted_proxies(db: Database) -> None:
    assert _hsts_through_live_server(db, []) is None
    assert _hsts_through_live_server(db, ["127.0.0.1"]) is not None


def test_the_api_docs_page_runs_its_script_by_hash_not_unsafe_inline(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
