"""Console test support (fixtures registered by tests/conftest.py).

- `console_db`: an empty leadbridge database (SQLite in tmp).
- `web`: a factory of signed-in TestClients over an app on `console_db`:
  `web("marketing")` → a `WebClient` whose `post`s carry its CSRF token.
- `live_console`: leadbridge connected to the sandbox org (as `make run` does: connector
  added, verified, users synced, resumed), its whole HTTP app served on a local port with
  the sync loop beside it, and one user per role with a password.
- `browser`: headless Chromium from the OS packages (Playwright). Without Chromium the
  browser tests skip with a loud reason; LEADBRIDGE_REQUIRE_BROWSER=1 (CI) turns that
  skip into a failure.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.api.server import build_server, serve
from leadbridge.auth import AuthService
from leadbridge.ports import SystemClock
from leadbridge.store import open_database
from leadbridge.store.database import Database
from leadbridge.store.users import UserRepository

CHROMIUM = Path(os.environ.get("LEADBRIDGE_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("LEADBRIDGE_REQUIRE_BROWSER") == "1"
PASSWORD = "correct horse battery staple"
ROLES = ("admin", "marketing", "sales_manager", "sales")


def email_for(role: str) -> str:
    return f"{role.replace('_', '.')}@console.example.com"


def add_user(database: Database, role: str, email: str | None = None) -> int:
    """A leadbridge user with this role and the test password; its id."""
    with database.session() as session:
        users = UserRepository(session)
        found = users.by_email(email or email_for(role))
        user = found or users.add(email or email_for(role), role.replace("_", " ").title(), role)
        if found is not None and found.role != role:
            users.update(user.id, role=role)
    AuthService(database, SystemClock()).set_password(email or email_for(role), PASSWORD)
    return user.id


class WebClient(TestClient):
    """A TestClient signed in to the console; unsafe requests carry the CSRF token."""

    csrf: str = ""
    user_id: int = 0

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method.upper() not in ("GET", "HEAD", "OPTIONS") and self.csrf:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", self.csrf)
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)


def form_token(client: TestClient) -> str:
    """The sign-in form's own token (its cookie is set on `client` by the same request)."""
    page = client.get("/sign-in")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token, page.text
    return token.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign `client` in through the sign-in form; the session's CSRF token."""
    response = client.post(
        "/sign-in",
        data={"email": email, "password": password, "form_token": form_token(client), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/account")
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert csrf, home.text
    return csrf.group(1)


def signed_in_client(
    app: FastAPI, database: Database, role: str, email: str | None = None
) -> WebClient:
    user_id = add_user(database, role, email)
    client = WebClient(app, follow_redirects=False)
    client.csrf = sign_in(client, email or email_for(role))
    client.user_id = user_id
    return client


@pytest.fixture
def console_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    yield database
    database.dispose()


@pytest.fixture
def web(console_db: Database) -> Iterator[Callable[..., WebClient]]:
    app = create_app(console_db, SystemClock())
    clients: list[WebClient] = []

    def make(role: str, email: str | None = None) -> WebClient:
        client = signed_in_client(app, console_db, role, email)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveConsole:
    """The served app: `url`, its `app` (for TestClients) and `database`; `users` by role."""

    url: str
    app: FastAPI
    database: Database
    wake: threading.Event
    users: dict[str, int] = field(default_factory=dict)

    def client(self, role: str) -> WebClient:
        client = WebClient(self.app, follow_redirects=False, base_url="http://127.0.0.1")
        client.csrf = sign_in(client, email_for(role))
        client.user_id = self.users[role]
        return client


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


@pytest.fixture
def live_console(connected_cli: Any) -> Iterator[LiveConsole]:
    from leadbridge.cli import context
    from leadbridge.cli.console import console_app
    from leadbridge.cli.serve import background_task
    from leadbridge.sync.loop import Backoff

    wake = threading.Event()
    spool = context.form_spool()
    app = console_app(wake, spool)
    server = build_server(app, "127.0.0.1", free_port())
    server.config.log_level = "warning"
    tasks = [background_task(Backoff(base=0.5, cap=2), wake=wake), spool.drain_forever]
    thread = threading.Thread(target=serve, args=(server, tasks), daemon=True)
    thread.start()
    wait_until(lambda: bool(server.started), 20, "the server started")
    live = LiveConsole(f"http://127.0.0.1:{server.config.port}", app, context.database(), wake)
    live.users = {role: add_user(live.database, role) for role in ROLES}
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=40)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = (
            f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} "
            "(apt-get install -y chromium; .ci/run does)"
        )
        if REQUIRE_BROWSER:
            pytest.fail(message + " and LEADBRIDGE_REQUIRE_BROWSER=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page."""
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def sign_in_page(page: Any, url: str, role: str, password: str = PASSWORD) -> None:
    """Sign in through the real form in the browser."""
    page.goto(f"{url}/sign-in")
    page.fill("#email", email_for(role))
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def api_key_for(database: Database, role: str) -> str:
    """An API key of the test user with this role (created if need be)."""
    add_user(database, role)
    auth = AuthService(database, SystemClock())
    principal = auth.session_principal(auth.sign_in(email_for(role), PASSWORD, client="t").token)
    assert principal is not None
    return auth.create_api_key(principal.user_id, f"{role} test key", by=principal)[1]


def bearer(database: Database, role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key_for(database, role)}"}
