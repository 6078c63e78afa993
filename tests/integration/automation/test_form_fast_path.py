"""The form endpoint's fast path (api/form_fast_path.py, PostgreSQL's intake installed)
answers every post as the full app answers it: the same statuses, error envelopes, security
headers and defences (host check, rate limit, body cap, media types, honeypot)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.api.forms import install_form_posts
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.automation.form_posts import FormPostIntake
from leadbridge.store import Database
from tests.integration.automation.test_form_posts import counts, handler
from tests.integration.store.support import FakeClock

pytestmark = pytest.mark.postgres
HEADERS = (
    "content-type", "content-security-policy", "x-frame-options", "x-content-type-options",
    "referrer-policy", "retry-after", "strict-transport-security",
)  # fmt: skip


def apps(db: Database, clock: FakeClock, limiter: tuple[float, int]) -> tuple[FastAPI, FastAPI]:
    """(the app with the intake: the fast path answers; the app without: the route does)."""
    fast = create_app(db, clock, console=False, form_rate=RateLimiter(*limiter))
    install_form_posts(fast, FormPostIntake(db, clock))
    return fast, create_app(db, clock, console=False, form_rate=RateLimiter(*limiter))


def answer(client: TestClient, path: str, **request: Any) -> tuple[int, Any, dict[str, str]]:
    response = client.post(path, **request)
    headers = {name: response.headers[name] for name in HEADERS if name in response.headers}
    return response.status_code, response.json(), headers


@pytest.fixture
def fast_answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The posts the fast path answered (the route's own calls are not counted)."""
    from leadbridge.api import form_fast_path

    taken: list[str] = []
    original = form_fast_path.take_post

    async def counted(request: Any, public_id: str) -> dict[str, Any]:
        taken.append(public_id)
        return await original(request, public_id)

    monkeypatch.setattr(form_fast_path, "take_post", counted)
    return taken


def test_refusals_are_answered_exactly_as_the_full_app_answers_them(
    postgres_database: Database, clock: FakeClock, fast_answers: list[str]
) -> None:
    from tests.integration.store.conftest import _empty

    db = postgres_database
    _empty(db)
    path = handler(db, clock)["path"]
    requests: list[tuple[str, dict[str, Any]]] = [
        ("/form-handlers/" + "A" * 16, {"data": {"work_email": "a@example.com", "org": "A"}}),
        ("/form-handlers/12", {"data": {"work_email": "a@example.com", "org": "A"}}),
        (path, {"data": {"work_email": "a@example.com"}}),  # a required field missing
        (path, {"data": {"work_email": "not-an-email", "org": "A"}}),
        (path, {"content": b"<form/>", "headers": {"content-type": "text/xml"}}),
        (path, {"content": b"{", "headers": {"content-type": "application/json"}}),
        (path, {"content": json.dumps({"org": {"a": 1}}), "headers": {
            "content-type": "application/json"}}),
        (path, {"data": {"work_email": "a@example.com", "org": "A" * 70_000}}),  # over 64 KiB
        (path, {"data": {"work_email": "a@example.com", "org": "A"},
                "headers": {"host": "evil.example"}}),
    ]  # fmt: skip
    fast, full = apps(db, clock, (600, 100))
    with TestClient(fast) as fast_client, TestClient(full) as full_client:
        for target, request in requests:
            got = answer(fast_client, target, **request)
            expected = answer(full_client, target, **request)
            assert got == expected, target
            assert got[0] >= 400 and got[2]["content-security-policy"]
        spam = {"work_email": "a@example.com", "org": "A", "lb_website_url": "http://x"}
        assert fast_client.post(path, data=spam).json()["ok"] is True
        accepted = answer(fast_client, path, data={"work_email": "a@example.com", "org": "A"})
    assert accepted[0] == 200 and accepted[1]["ok"] is True
    assert len(fast_answers) == len(requests) - 1 + 2  # all but the bad host's, spam, accepted
    assert accepted[2] == answer_headers_of_an_accepted_post(full, path)
    assert counts(db) == (1, 1, 1)  # the full app applied its post at once; one kept


def answer_headers_of_an_accepted_post(app: FastAPI, path: str) -> dict[str, str]:
    with TestClient(app) as client:
        return answer(client, path, data={"work_email": "b@example.com", "org": "A"})[2]


def test_the_rate_limit_holds_on_the_fast_path(
    postgres_database: Database, clock: FakeClock
) -> None:
    from tests.integration.store.conftest import _empty

    db = postgres_database
    _empty(db)
    path = handler(db, clock)["path"]
    fast, full = apps(db, clock, (1, 2))
    post = {"data": {"work_email": "a@example.com", "org": "A"}}
    with TestClient(fast) as fast_client, TestClient(full) as full_client:
        got = [answer(fast_client, path, **post) for _ in range(3)]
        expected = [answer(full_client, path, **post) for _ in range(3)]
    assert [status for status, _, _ in got] == [200, 200, 429]
    assert got[2] == expected[2] and got[2][2]["retry-after"]
