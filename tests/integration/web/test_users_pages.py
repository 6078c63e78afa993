"""The users page: create (with an initial password), change role, deactivate (sessions
end) and reactivate, Sync users against the sandbox org with map / unmap from the Salesforce
users it saw, everyone's API keys, validation, audit and roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leadbridge.store.database import Database
from leadbridge.store.users import UserRepository
from tests.conftest import SandboxClient
from tests.console import WebClient, email_for, sign_in
from tests.integration.web.admin_support import changes, connect, field_errors, notice, with_gateway


def _user(database: Database, email: str):  # type: ignore[no-untyped-def]
    with database.session(readonly=True) as session:
        return UserRepository(session).by_email(email)


def test_create_a_user_with_a_password_who_can_then_sign_in(
    web: Callable[..., WebClient], console_db: Database
) -> None:
    admin = web("admin")
    answer = admin.post(
        "/users",
        data={
            "email": "Rep@Example.com",
            "name": "Rita Rep",
            "role": "sales",
            "password": "a long enough password",
        },
    )
    assert answer.status_code == 303
    assert notice(answer) == (
        "User Rep@Example.com created. They can sign in with the password you set."
    )
    created = _user(console_db, "rep@example.com")
    assert created is not None and created.role == "sales" and created.active
    client = WebClient(admin.app, follow_redirects=False)
    sign_in(client, "rep@example.com", "a long enough password")
    audit = [(c.subject, c.field, c.old_value, c.new_value) for c in changes(console_db, "user")]
    assert audit == [
        ("Rep@Example.com", "password", None, "changed"),  # never the password itself
        ("Rep@Example.com", "created", None, "Sales, active"),
    ]
    assert "a long enough password" not in admin.get("/users").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "name": "X", "role": "sales"}, "is not a valid email"),
        ({"email": "x@example.com", "name": "", "role": "sales"}, "Give the user&#39;s name."),
        ({"email": "x@example.com", "name": "X", "role": "owner"}, "Choose one of the roles"),
        (
            {"email": "x@example.com", "name": "X", "role": "sales", "password": "short"},
            "A password needs at least 12 characters (or leave it empty).",
        ),
    ],
)
def test_a_bad_new_user_is_refused_with_the_reason(
    web: Callable[..., WebClient], console_db: Database, data: dict[str, str], message: str
) -> None:
    answer = web("admin").post("/users", data=data)
    assert answer.status_code == 422
    assert any(message in error for error in field_errors(answer.text)), answer.text
    assert _user(console_db, "x@example.com") is None
    assert changes(console_db, "user") == []


def test_a_taken_email_is_refused(web: Callable[..., WebClient]) -> None:
    admin = web("admin")
    answer = admin.post("/users", data={"email": email_for("admin").upper(), "name": "Copy"})
    assert answer.status_code == 422
    assert "already exists" in field_errors(answer.text)[0]


def test_change_role_deactivate_and_reactivate(
    web: Callable[..., WebClient], console_db: Database
) -> None:
    admin, rep = web("admin"), web("sales")
    answer = admin.post(f"/users/{rep.user_id}/role", data={"role": "sales_manager"})
    assert notice(answer) == f"{email_for('sales')} is now Sales manager."
    assert rep.get("/account").status_code == 200  # still signed in, with the new role
    assert admin.post(f"/users/{rep.user_id}/role", data={"role": "chief"}).status_code == 422

    gone = admin.post(f"/users/{rep.user_id}/deactivate")
    assert "deactivated: signed out everywhere" in notice(gone)
    assert rep.get("/account").status_code == 303  # their session ended
    with pytest.raises(Exception):  # noqa: B017 - inactive users cannot sign in
        sign_in(WebClient(admin.app, follow_redirects=False), email_for("sales"))
    back = admin.post(f"/users/{rep.user_id}/reactivate")
    assert "reactivated" in notice(back)
    sign_in(WebClient(admin.app, follow_redirects=False), email_for("sales"))

    audit = [(c.field, c.old_value, c.new_value) for c in changes(console_db, "user")]
    assert audit == [
        ("active", "off", "on"),
        ("active", "on", "off"),
        ("role", "Sales", "Sales manager"),
    ]


def test_an_administrator_cannot_lock_themselves_out(
    web: Callable[..., WebClient], console_db: Database
) -> None:
    admin = web("admin")
    own = admin.post(f"/users/{admin.user_id}/deactivate")
    assert own.status_code == 422
    assert "You cannot deactivate yourself" in own.text
    demote = admin.post(f"/users/{admin.user_id}/role", data={"role": "sales"})
    assert demote.status_code == 422
    assert admin.post("/users/99999/deactivate").status_code == 404
    assert admin.post("/users/99999999999999999999/deactivate").status_code == 422


def test_sync_users_explains_nobody_matched_then_maps_by_hand(
    web: Callable[..., WebClient], console_db: Database, sandbox: SandboxClient, tmp_path: Path
) -> None:
    admin = web("admin")
    service = connect(console_db, sandbox, tmp_path)
    with_gateway(admin.app, service)
    answer = admin.post("/users/sync")
    message = notice(answer)
    assert message.startswith("Nobody matched: none of the ")
    assert "has the email of a leadbridge user" in message
    assert "Tick “create missing users”" in message

    page = admin.get("/users").text
    crm_username = sandbox.credentials["username"].lower()
    assert crm_username in page  # offered to map by hand
    crm_id = page.split(f"{crm_username}</option>")[0].rsplit('<option value="', 1)[1].split('"')[0]
    mapped = admin.post(f"/users/{admin.user_id}/map", data={"crm_user": crm_id})
    admin_email = email_for("admin")
    assert notice(mapped) == f"{admin_email} is mapped to the Salesforce user {crm_username}."
    assert _user(console_db, email_for("admin")).crm_username == crm_username
    unseen = admin.post(f"/users/{admin.user_id}/map", data={"crm_user": "005NOTSEEN"})
    assert unseen.status_code == 422

    again = notice(admin.post("/users/sync", data={"create": "on"}))
    assert again == "Users synced: 1 already mapped."
    unmapped = admin.post(f"/users/{admin.user_id}/unmap")
    assert "is no longer mapped" in notice(unmapped)
    fields = [c.field for c in changes(console_db, "user")]
    assert fields.count("Salesforce user") == 2


def test_everyones_api_keys_are_listed_and_revoked(
    web: Callable[..., WebClient], console_db: Database
) -> None:
    admin, rep = web("admin"), web("marketing")
    rep.post("/account/api-keys", data={"name": "Reporting script"})
    page = admin.get("/users").text
    assert "Reporting script" in page and email_for("marketing") in page
    key_id = page.split('action="/users/api-keys/')[1].split("/")[0]
    answer = admin.post(f"/users/api-keys/{key_id}/revoke")
    assert notice(answer) == f"API key “Reporting script” of {email_for('marketing')} revoked."
    assert "Revoked" in admin.get("/users").text
    audit = [(c.subject, c.field, c.old_value, c.new_value) for c in changes(console_db, "user")]
    assert audit == [(email_for("marketing"), "API key", "Reporting script", "revoked")]


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales"])
def test_only_administrators_manage_users(web: Callable[..., WebClient], role: str) -> None:
    client, other = web(role), web("admin")
    assert client.get("/users").status_code == 403
    for path in (
        "/users",
        "/users/sync",
        f"/users/{other.user_id}/deactivate",
        f"/users/{other.user_id}/role",
        f"/users/{other.user_id}/map",
        f"/users/{other.user_id}/unmap",
        "/users/api-keys/1/revoke",
    ):
        assert client.post(path, data={"role": "admin"}).status_code == 403, path
