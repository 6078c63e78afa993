"""Signing in to the console, sessions, CSRF, throttling, and API keys on /api/v1."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadbridge.api import create_app
from leadbridge.auth import AuthService
from leadbridge.auth.service import ACCOUNT_FAILURES
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store.database import Database
from leadbridge.store.models import WebSessionRow
from leadbridge.store.prospects import ProspectRepository
from tests.console import PASSWORD, WebClient, add_user, email_for, form_token


def _try(client: TestClient, email: str, password: str) -> int:
    data = {"email": email, "password": password, "form_token": form_token(client)}
    return client.post("/sign-in", data=data, follow_redirects=False).status_code


def test_pages_send_anonymous_visitors_to_sign_in_and_back(console_db: Database) -> None:
    add_user(console_db, "marketing")
    client = TestClient(create_app(console_db, SystemClock()), follow_redirects=False)
    response = client.get("/account?tab=keys")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account%3Ftab%3Dkeys"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/account?tab=keys"' in page.text


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    console_db: Database,
) -> None:
    add_user(console_db, "marketing")
    client = TestClient(create_app(console_db, SystemClock()), follow_redirects=False)
    assert _try(client, email_for("marketing"), "not the password") == 401
    assert _try(client, "nobody@example.com", PASSWORD) == 401
    page = client.get("/sign-in")
    assert "lb_session" not in client.cookies
    assert page.status_code == 200


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    console_db: Database,
) -> None:
    add_user(console_db, "marketing")
    client = TestClient(create_app(console_db, SystemClock()), follow_redirects=False)
    for _ in range(ACCOUNT_FAILURES):
        assert _try(client, email_for("marketing"), "guess") == 401
    data = {"email": email_for("marketing"), "password": PASSWORD}
    response = client.post("/sign-in", data={**data, "form_token": form_token(client)})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert int(response.headers["retry-after"]) > 0


def test_the_sign_in_form_needs_its_own_token_and_never_redirects_off_site(
    console_db: Database,
) -> None:
    add_user(console_db, "admin")
    client = TestClient(create_app(console_db, SystemClock()), follow_redirects=False)
    forged = {"email": email_for("admin"), "password": PASSWORD, "form_token": "x"}
    assert client.post("/sign-in", data=forged).status_code == 400
    data = {
        "email": email_for("admin"),
        "password": PASSWORD,
        "form_token": form_token(client),
        "next": "//evil.example.com/",
    }
    response = client.post("/sign-in", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_a_post_without_the_csrf_token_is_refused(web: Callable[..., WebClient]) -> None:
    client = web("admin")
    refused = client.post("/sign-out", headers={"X-CSRF-Token": "forged"})
    assert refused.status_code == 403
    assert "expired" in refused.text
    assert client.get("/account").status_code == 200  # still signed in
    signed_out = client.post("/sign-out")
    assert signed_out.status_code == 303
    assert client.get("/account").status_code == 303


def test_the_api_needs_a_key_or_a_session_and_health_says_only_ok(
    console_db: Database,
) -> None:
    client = TestClient(create_app(console_db, SystemClock()))
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    anonymous = client.get("/api/v1/prospects/1")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    assert client.post("/api/v1/connector/send", json={"ids": ["00Q"]}).status_code == 401
    assert client.post("/api/v1/imports", content=b"email\n").status_code == 401
    bad_key = client.get("/api/v1/prospects/1", headers={"Authorization": "Bearer lbk_nope"})
    assert bad_key.status_code == 401


def test_an_api_key_acts_as_its_user_with_that_users_role(console_db: Database) -> None:
    clock = SystemClock()
    sales = add_user(console_db, "sales")
    auth = AuthService(console_db, clock)
    with console_db.session() as session:
        prospects = ProspectRepository(session, clock)
        mine = prospects.add({"email": "mine@example.com"}, origin=Origin.API, actor=None)
        theirs = prospects.add({"email": "theirs@example.com"}, origin=Origin.API, actor=None)
        prospects.assign(mine.id, sales, origin=Origin.API, actor=None)
    sales_principal = auth.session_principal(
        auth.sign_in(email_for("sales"), PASSWORD, client="t").token
    )
    assert sales_principal is not None
    _, sales_key = auth.create_api_key(sales, "reports", by=sales_principal)
    client = TestClient(create_app(console_db, clock))
    bearer = {"Authorization": f"Bearer {sales_key}"}
    assert client.get(f"/api/v1/prospects/{mine.id}", headers=bearer).status_code == 200
    hidden = client.get(f"/api/v1/prospects/{theirs.id}", headers=bearer)
    assert hidden.status_code == 404
    assert client.post("/api/v1/imports", headers=bearer, content=b"x").status_code == 403


def _sessions(database: Database) -> int:
    with database.session(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(WebSessionRow)) or 0)


def test_changing_the_password_needs_the_current_one_and_ends_every_session(
    console_db: Database, web: Callable[..., WebClient]
) -> None:
    client = web("marketing")
    before = _sessions(console_db)
    wrong = client.post("/account/password", data={"current": "nope", "new": "x" * 20})
    assert wrong.status_code == 422
    assert "not your current password" in wrong.text
    short = client.post("/account/password", data={"current": PASSWORD, "new": "short"})
    assert short.status_code == 422
    assert "at least 12 characters" in short.text
    assert _sessions(console_db) == before  # checking a password opens no session
    new = "a brand new passphrase"
    done = client.post("/account/password", data={"current": PASSWORD, "new": new})
    assert done.status_code == 303
    assert _sessions(console_db) == 0
    assert client.get("/account").status_code == 303  # signed out
    other = TestClient(create_app(console_db, SystemClock()), follow_redirects=False)
    assert _try(other, email_for("marketing"), PASSWORD) == 401
    assert _try(other, email_for("marketing"), new) == 303
