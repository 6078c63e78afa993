"""A website form posts to leadbridge's HTTP app: the prospect is created or updated, the
completion actions run, bad posts get a clear 4xx and change nothing; `serve` runs the app."""

from __future__ import annotations

import contextlib
import json
import select as io_select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadbridge.api import create_app
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.api.server import build_server, serve
from leadbridge.cli import context
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store import Database, open_database
from leadbridge.store.campaign_requests import CampaignRequestRepository
from leadbridge.store.forms import FormSubmissionRepository
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospects import ProspectRepository
from tests.acceptance.test_connect_org import Cli
from tests.console import bearer

CAMPAIGN = "701000000000001AAA"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Cli(tmp_path / ".leadbridge")
    context.reset()


@pytest.fixture
def db(cli: Cli, tmp_path: Path) -> Iterator[Database]:
    cli("users", "add", "rep@example.com", "--name", "Rep", "--role", "sales")
    database = open_database(f"sqlite:///{tmp_path / '.leadbridge' / 'leadbridge.sqlite3'}")
    yield database
    database.dispose()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    """Posts forms anonymously, as a website does; reads prospects with an admin's API key."""
    app = create_app(db, SystemClock())
    with TestClient(app) as test_client:
        test_client.headers.update(bearer(db, "admin"))
        yield test_client


HANDLER = (
    *("forms", "add", "Contact us", "--field", "work_email=email", "--field", "org=company"),
    *("--required", "org", "--reject-unknown", "--assign-user", "rep@example.com"),
    *("--add-to-campaign", f"{CAMPAIGN}:Responded", "--adjust-score", "10"),
)


def add_handler(cli: Cli) -> dict[str, Any]:
    return dict(cli.json(*HANDLER))


def counts(db: Database) -> tuple[int, int]:
    """Prospects and form submissions in the database."""
    with db.session(readonly=True) as session:
        prospects = session.scalar(select(func.count()).select_from(ProspectRow))
        return int(prospects or 0), FormSubmissionRepository(session, SystemClock()).count()


def test_a_form_post_creates_the_prospect_and_runs_the_completion_actions(
    cli: Cli, db: Database, client: TestClient
) -> None:
    handler = add_handler(cli)
    shown = cli.json("forms", "show", "Contact us", "--base-url", "https://forms.example.com/")
    assert shown["url"] == f"https://forms.example.com/form-handlers/{handler['public_id']}"
    assert handler["path"] == f"/form-handlers/{handler['public_id']}"
    posted = client.post(
        handler["path"],
        data={"work_email": "Ada@Example.com", "org": "ACME", "first_name": "Ada"},
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["ok"] is True
    prospect = client.get("/api/v1/prospects/ada@example.com").json()
    assert (prospect["first_name"], prospect["company"]) == ("Ada", "ACME")
    assert (prospect["assigned_user"], prospect["score"]) == ("rep@example.com", 10)
    assert {entry["origin"] for entry in prospect["history"]} == {"form"}
    with db.session(readonly=True) as session:
        [request] = CampaignRequestRepository(session, SystemClock()).for_prospect(prospect["id"])
    assert (request.crm_campaign_id, request.status) == (CAMPAIGN, "Responded")
    again = client.post(handler["path"], json={"work_email": "ADA@example.com", "org": "ACME"})
    assert again.status_code == 200
    assert client.get(f"/api/v1/prospects/{prospect['id']}").json()["score"] == 20
    assert counts(db) == (1, 2)
    assert cli.json("forms", "list")[0]["submissions"] == 2


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"data": {"work_email": "nope", "org": "ACME"}}, 422, "invalid_email", "work_email"),
        ({"data": {"org": "ACME"}}, 422, "required", "work_email"),
        ({"data": {"work_email": "a@example.com"}}, 422, "required", "org"),
        ({"json": {"work_email": "a@example.com", "org": "A", "employees": "lots"}}, 422,
         "invalid_value", "employees"),
        ({"json": {"work_email": "a@example.com", "org": 7}}, 422, "invalid_value", "org"),
        ({"data": {"work_email": "a@example.com", "org": "A", "x": "1"}}, 422, "unknown_field",
         "x"),
        ({"json": {"work_email": "a@example.com", "org": {"a": 1}}}, 422, "invalid_value", "org"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400,
         "invalid_body", None),
        ({"content": b"[1]", "headers": {"content-type": "application/json"}}, 400,
         "invalid_body", None),
        ({"content": b"email=a@example.com", "headers": {"content-type": "text/plain"}}, 415,
         "unsupported_media_type", None),
        ({"data": {"work_email": "a@example.com", "org": "x" * 70_000}}, 413,
         "payload_too_large", None),
    ],
)  # fmt: skip
def test_bad_posts_get_a_clear_4xx_and_change_nothing(
    cli: Cli,
    db: Database,
    client: TestClient,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    handler = add_handler(cli)
    response = client.post(handler["path"], **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert counts(db) == (0, 0)


def test_unknown_and_switched_off_handlers(cli: Cli, db: Database, client: TestClient) -> None:
    handler = add_handler(cli)
    unknown = "A" * 16 if handler["public_id"] != "A" * 16 else "B" * 16
    for path in (
        f"/form-handlers/{handler['id']}",  # the old numeric URL no longer works
        f"/form-handlers/{unknown}",
        "/form-handlers/contact",
        "/form-handlers/%D9%A3",  # ٣
        "/form-handlers/99999999999999999999999",
        f"/form-handlers/{'x' * 5000}",
    ):
        missing = client.post(path, data={"work_email": "a@example.com", "org": "A"})
        assert missing.status_code == 404, path
        assert missing.json()["error"] == {
            "code": "not_found",
            "message": "no form handler at this address",
            "field": None,
        }
    cli("forms", "pause", str(handler["id"]))
    gone = client.post(handler["path"], data={"work_email": "a@example.com", "org": "A"})
    assert gone.status_code == 410
    assert "switched off" in gone.json()["error"]["message"]
    assert counts(db) == (0, 0)
    assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"
    assert client.get("/nowhere").status_code == 404  # a console page: HTML


def test_the_api_reads_prospects_with_an_api_key(db: Database) -> None:
    with TestClient(create_app(db, SystemClock())) as client:
        assert client.get("/api/v1/health").json() == {"status": "ok"}
        refused = client.get("/api/v1/prospects/1")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        missing = client.get("/api/v1/prospects/1", headers=bearer(db, "marketing"))
        assert missing.status_code == 404
        assert missing.json()["error"] == {
            "code": "not_found",
            "message": "no prospect with id 1",
            "field": None,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_runs_the_app_beside_a_background_task(db: Database) -> None:
    server = build_server(create_app(db, SystemClock()), "127.0.0.1", _free_port())
    stopped = threading.Event()

    def background(stop: threading.Event) -> None:
        stop.wait(timeout=20)
        stopped.set()

    thread = threading.Thread(target=serve, args=(server, background))
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.config.port}/api/v1/health"
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        http = requests.Session()
        http.trust_env = False  # no proxy between us and the loopback server
        assert http.get(url, timeout=5).json()["status"] == "ok"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    assert stopped.is_set() and not thread.is_alive()


def test_a_failing_background_task_is_restarted_and_the_server_keeps_serving(
    db: Database,
) -> None:
    server = build_server(create_app(db, SystemClock()), "127.0.0.1", _free_port())
    runs: list[int] = []

    def background(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("sync loop broke")
        stop.wait(timeout=20)

    thread = threading.Thread(target=serve, args=(server, background))
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.config.port}/api/v1/health"
        deadline = time.monotonic() + 20
        while (not server.started or len(runs) < 3) and time.monotonic() < deadline:
            time.sleep(0.05)
        http = requests.Session()
        http.trust_env = False
        assert http.get(url, timeout=5).json()["status"] == "ok"
        assert len(runs) == 3 and thread.is_alive()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    assert not thread.is_alive()


def test_a_form_never_clears_consent_nor_touches_internal_fields(
    cli: Cli, db: Database, client: TestClient
) -> None:
    """The security finding: a post carrying only a victim's email cleared their opt-outs
    and overwrote their notes."""
    handler = cli.json("forms", "add", "Newsletter")
    with db.session() as session:
        victim = ProspectRepository(session, SystemClock()).add(
            {"email": "victim@example.com", "opted_out": True, "do_not_email": True}
            | {"notes": "VIP: call before renewal", "grade": "A"},
            origin=Origin.USER,
            actor="admin",
        )
    posted = client.post(
        handler["path"],
        data={"email": "VICTIM@example.com", "opted_out": "false", "do_not_email": ""}
        | {"notes": "pwned", "score": "0", "grade": "F", "do_not_sync": "true"}
        | {"first_name": "Vic", "do_not_call": "on"},
    )
    assert posted.status_code == 200, posted.text
    prospect = client.get(f"/api/v1/prospects/{victim.id}").json()
    assert (prospect["opted_out"], prospect["do_not_email"], prospect["do_not_call"]) == (
        True,
        True,
        True,
    )
    assert (prospect["notes"], prospect["grade"]) == ("VIP: call before renewal", "A")
    assert prospect["first_name"] == "Vic"
    changed = {entry["field"] for entry in prospect["history"] if entry["origin"] == "form"}
    assert changed == {"first_name", "do_not_call"}


@pytest.mark.parametrize("target", ["notes", "score", "do_not_sync", "source"])
def test_a_handler_cannot_map_a_form_field_onto_an_internal_field(cli: Cli, target: str) -> None:
    output = cli("forms", "add", "Sneaky", "--field", f"memo={target}", code=2)
    assert "memo" in output and f"cannot set {target}" in output
    assert cli.json("forms", "list") == []


def test_a_post_with_the_honeypot_filled_is_answered_like_success_and_writes_nothing(
    cli: Cli, db: Database, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    handler = add_handler(cli)
    real = {"work_email": "a@example.com", "org": "ACME"}
    trapped = client.post(handler["path"], data=real | {"lb_website_url": "http://x.example"})
    assert trapped.status_code == 200
    assert set(trapped.json()) == {"ok", "submission_id"} and trapped.json()["ok"] is True
    assert counts(db) == (0, 0)
    assert client.app.state.leadbridge_forms.spam == 1  # type: ignore[attr-defined]
    assert any(getattr(record, "action", "") == "form_spam" for record in caplog.records)
    human = client.post(handler["path"], data=real | {"lb_website_url": ""})
    assert human.status_code == 200 and set(human.json()) == set(trapped.json())
    assert counts(db) == (1, 1)


def test_form_posts_are_rate_limited_per_client_ip(cli: Cli, db: Database) -> None:
    handler = add_handler(cli)
    body = {"work_email": "a@example.com", "org": "ACME"}
    app = create_app(db, SystemClock(), form_rate=RateLimiter(per_minute=2, burst=2))
    with TestClient(app, client=("203.0.113.7", 5000)) as client:
        assert [client.post(handler["path"], data=body).status_code for _ in range(2)] == [200] * 2
        refused = client.post(handler["path"], data=body)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 30
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.json()["error"]["message"]
    with TestClient(app, client=("198.51.100.9", 5000)) as other:
        assert other.post(handler["path"], data=body).status_code == 200
    assert counts(db) == (1, 3)


def _chunked_post(
    port: int, path: str, content_type: str, total: int, auth: str = ""
) -> tuple[bytes, int]:
    """POST `total` bytes with Transfer-Encoding: chunked, stopping once the server answers
    or stops reading; the response and how many body bytes went out."""
    chunk = 64 * 1024
    framed = f"{chunk:x}\r\n".encode() + b"a" * chunk + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"{auth}Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        while sent < total and not io_select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(framed)
            except OSError:  # the server closed the connection or stopped reading
                break
            sent += chunk
        response = b""
        with contextlib.suppress(OSError):
            while piece := sock.recv(65536):
                response += piece
    return response, sent


@pytest.mark.parametrize(
    ("path", "content_type", "total"),
    [
        ("FORM", "application/x-www-form-urlencoded", 64 * 1024 * 1024),
        ("/api/v1/connector/send", "application/json", 64 * 1024 * 1024),
        ("/api/v1/imports", "text/csv", 400 * 1024 * 1024),
    ],
)
def test_a_chunked_upload_past_the_cap_is_refused_without_being_read(
    cli: Cli, db: Database, path: str, content_type: str, total: int
) -> None:
    path = add_handler(cli)["path"] if path == "FORM" else path
    server = build_server(create_app(db, SystemClock()), "127.0.0.1", _free_port())
    thread = threading.Thread(target=serve, args=(server, None))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        key = bearer(db, "admin")["Authorization"]  # past sign-in: the cap is what stops it
        response, sent = _chunked_post(
            server.config.port, path, content_type, total, f"Authorization: {key}\r\n"
        )
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), response[:300]
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert sent < total // 2  # the server stopped reading long before the end
