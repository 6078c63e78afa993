"""The form handler pages: create and edit (fields a form may set, required, completion
actions), the public URL and the snippet (which really posts), submissions, roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadbridge.automation import FormHandlerService
from leadbridge.domain.fields import FieldType
from leadbridge.ports import SystemClock
from leadbridge.store.custom_fields import CustomFieldRepository
from leadbridge.store.database import Database
from leadbridge.store.prospects import ProspectRepository
from tests.console import WebClient, email_for
from tests.integration.web.forms_html import form_fields

Web = Callable[..., WebClient]


def _handler_form(
    name: str,
    fields: list[tuple[str, str, bool]],
    actions: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    **extra: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "f_name": [form_name for form_name, _, _ in fields],
        "f_target": [target for _, target, _ in fields],
        "f_required": ["required" if required else "optional" for _, _, required in fields],
        "a_type": [kind for kind, _, _ in actions],
        "a_target": [target for _, target, _ in actions],
        "a_value": [value for _, _, value in actions],
        "op": "save",
        **extra,
    }


def _service(db: Database) -> FormHandlerService:
    return FormHandlerService(db, SystemClock())


def _error_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} in the page"
    return unescape(found.group(1))


def test_create_show_snippet_and_the_snippet_posts_a_prospect(
    web: Web, console_db: Database
) -> None:
    with console_db.session() as session:
        CustomFieldRepository(session).add("favourite_colour", "Colour", FieldType.TEXT)
    client = web("marketing")
    form = _handler_form(
        "Contact us",
        [
            ("work_email", "email", True),
            ("given", "first_name", True),
            ("colour", "favourite_colour", False),
            ("unsubscribe", "opted_out", False),
        ],
        [("assign_user", email_for("marketing"), ""), ("adjust_score", "10", "")],
        reject_unknown="on",
    )
    created = client.post("/forms/new", data=form)
    assert created.status_code == 303, created.text
    page_url = created.headers["location"]
    handler = _service(console_db).list()[0]
    assert handler["field_map"] == {
        "work_email": "email",
        "given": "first_name",
        "colour": "favourite_colour",
        "unsubscribe": "opted_out",
    }
    assert handler["required"] == ["work_email", "given"]
    assert handler["reject_unknown"] is True
    assert [a["type"] for a in handler["actions"]] == ["assign_user", "adjust_score"]

    page = client.get(page_url).text
    url = f"http://testserver{handler['path']}"
    assert f'<code id="public-url">{url}</code>' in page
    snippet = unescape(re.search(r'<pre id="snippet"[^>]*>(.*?)</pre>', page, re.S).group(1))
    assert f'<form method="post" action="{url}">' in snippet
    assert "<p hidden>" in snippet and 'name="lb_website_url"' in snippet
    assert 'type="email" id="lb-work-email" name="work_email" required' in snippet
    assert 'name="unsubscribe" value="true"' in snippet
    assert 'data-copy="#snippet"' in page
    assert "No submissions yet" in page

    visitor = TestClient(client.app)
    posted = [
        (name, value) for name, value in form_fields(snippet, url) if name != "lb_website_url"
    ]
    values = dict(posted) | {"work_email": "ada@example.com", "given": "Ada", "colour": "teal"}
    answer = visitor.post(handler["path"], data=values)
    assert answer.status_code == 200, answer.text
    with console_db.session(readonly=True) as session:
        prospect = ProspectRepository(session, SystemClock()).by_email("ada@example.com")
    assert prospect is not None
    assert prospect.value("first_name") == "Ada" and prospect.value("favourite_colour") == "teal"
    assert prospect.score == 10
    shown = client.get(page_url).text
    assert f'href="/prospects/{prospect.id}">ada@example.com</a>' in shown
    assert "Accepted" in shown


def test_edit_round_trips_and_keeps_the_url(web: Web, console_db: Database) -> None:
    handler = _service(console_db).add(
        "Webinar",
        field_map={"mail": "email", "org": "company"},
        required=["mail", "org"],
        actions=[{"type": "adjust_score", "by": 5}],
    )
    client = web("marketing")
    edit = client.get(f"/forms/{handler['id']}/edit")
    assert edit.status_code == 200
    fields = form_fields(edit.text, f"/forms/{handler['id']}/edit")
    changed = [(n, "Webinar 2026" if n == "name" else v) for n, v in fields] + [("op", "save")]
    multi: dict[str, list[str]] = {}
    for name, value in changed:
        multi.setdefault(name, []).append(value)
    saved = client.post(f"/forms/{handler['id']}/edit", data=multi)
    assert saved.status_code == 303, saved.text
    after = _service(console_db).show(str(handler["id"]))
    assert after["name"] == "Webinar 2026"
    assert after["field_map"] == handler["field_map"]
    assert after["required"] == handler["required"]
    assert after["actions"] == handler["actions"]
    assert after["path"] == handler["path"]


@pytest.mark.parametrize(
    ("fields", "row", "message"),
    [
        ([("mail", "email", True), ("notes", "notes", False)], "f1-error", "cannot set notes"),
        ([("mail", "email", True), ("s", "score", False)], "f1-error", "a form cannot set score"),
        ([("mail", "email", True), ("", "company", False)], "f1-error", "Give the form field"),
        ([("mail", "email", True), ("mail", "company", False)], "f1-error", "listed twice"),
        ([("mail", "email", True), ("x", "", False)], "f1-error", "Choose the prospect field"),
        ([("mail", "email", True), ("lb_website_url", "company", False)], None, "spam trap"),
    ],
)
def test_fields_a_form_may_not_set_are_refused_next_to_the_row(
    web: Web,
    console_db: Database,
    fields: list[tuple[str, str, bool]],
    row: str | None,
    message: str,
) -> None:
    client = web("marketing")
    response = client.post("/forms/new", data=_handler_form("Bad", fields))
    assert response.status_code == 422
    shown = _error_of(response.text, row) if row else unescape(response.text)
    assert message in shown
    assert _service(console_db).list() == []


def test_bad_actions_and_a_missing_name_are_shown(web: Web, console_db: Database) -> None:
    client = web("marketing")
    form = _handler_form("", [("email", "email", True)], [("add_to_crm_campaign", "nope", "Sent")])
    response = client.post("/forms/new", data=form)
    assert response.status_code == 422
    assert "is not a Salesforce id" in _error_of(response.text, "a0-error")
    assert "Give the form handler a name" in _error_of(response.text, "name-error")


def test_add_and_remove_rows(web: Web) -> None:
    client = web("marketing")
    form = _handler_form("x", [("email", "email", True)])
    added = client.post("/forms/new", data={**form, "op": "add_field"})
    assert added.status_code == 200 and added.text.count('name="f_name"') == 2
    fragment = client.post("/forms/builder", data={**form, "op": "add_action"})
    assert 'id="form-builder"' in fragment.text and "<html" not in fragment.text
    assert fragment.text.count('name="a_type"') == 1
    removed = client.post("/forms/builder", data={**form, "op": "remove_field:0"})
    assert removed.text.count('name="f_name"') == 0


def test_pause_and_resume(web: Web, console_db: Database) -> None:
    handler = _service(console_db).add("Contact", field_map={})
    client = web("marketing")
    client.post(f"/forms/{handler['id']}/pause")
    assert _service(console_db).show(str(handler["id"]))["active"] is False
    assert "Paused" in client.get("/forms").text
    client.post(f"/forms/{handler['id']}/resume")
    assert _service(console_db).show(str(handler["id"]))["active"] is True


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("marketing", True), ("sales_manager", False), ("sales", False)],
)
def test_roles(web: Web, console_db: Database, role: str, allowed: bool) -> None:
    handler = _service(console_db).add("Contact", field_map={})
    client = web(role)
    expected = 200 if allowed else 403
    assert client.get("/forms").status_code == expected
    assert client.get(f"/forms/{handler['id']}").status_code == expected
    assert client.get("/forms/new").status_code == expected
    assert client.post(f"/forms/{handler['id']}/pause").status_code == (303 if allowed else 403)


def test_bad_ids(web: Web) -> None:
    client = web("marketing")
    assert client.get("/forms/999").status_code == 404
    assert client.get("/forms/99999999999999").status_code == 422
    assert client.post("/forms/999/edit", data={"name": "x"}).status_code == 404
