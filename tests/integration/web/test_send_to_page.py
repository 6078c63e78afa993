"""The "Send to leadbridge" confirmation page: signed-in only (and back after sign-in),
ids checked and bad ones named, confirm with CSRF, an outcome per id in plain words, no
token in the page. The Salesforce side is a recording gateway here (the browser test
drives the real one against the sandbox org)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from leadbridge.api import create_app
from leadbridge.errors import CrmTransientError
from leadbridge.ports import SystemClock
from leadbridge.store.database import Database
from leadbridge.store.models import SendToResultRow
from leadbridge.web.gateway import install_gateway
from tests.console import WebClient, add_user

Web = Callable[..., WebClient]
LEAD = "00Q000000000001AAA"
CONTACT = "003000000000002"


class RecordingGateway:
    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[list[str]] = []
        self.fail = fail

    def send_to_leadbridge(self, ids: list[str]) -> dict[str, Any]:
        self.sent.append(ids)
        if self.fail is not None:
            raise self.fail
        return {
            "counts": {"created": 1, "not found": 1},
            "results": [
                {"key": ids[0], "status": "created", "prospect_id": 7, "email": "a@example.com"},
                {
                    "key": ids[1],
                    "status": "not found",
                    "reason": f"no contact {ids[1]} in Salesforce",
                },
            ],
        }


def test_not_signed_in_goes_to_sign_in_and_back(console_db: Database) -> None:
    add_user(console_db, "marketing")
    client = TestClient(create_app(console_db, SystemClock()), follow_redirects=False)
    response = client.get(f"/send-to-leadbridge?ids={LEAD},{CONTACT}")
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/sign-in?next=/send-to-leadbridge%3Fids%3D{LEAD}%2C{CONTACT}"
    )


def test_confirm_sends_the_ids_and_shows_each_outcome(web: Web) -> None:
    client = web("sales_manager")
    recorder = RecordingGateway()
    install_gateway(client.app, recorder)  # type: ignore[arg-type]
    page = client.get(f"/send-to-leadbridge?ids={LEAD},{CONTACT}")
    assert page.status_code == 200
    assert "2 records to bring in" in page.text
    assert f'name="ids" value="{LEAD},{CONTACT}"' in page.text
    assert recorder.sent == []  # nothing happens on GET
    assert "token" not in page.text.lower().replace("csrf_token", "").replace("x-csrf-token", "")

    posted = client.post("/send-to-leadbridge", data={"ids": f"{LEAD},{CONTACT}"})
    assert posted.status_code == 303
    results_url = posted.headers["location"]
    assert results_url.startswith("/send-to-leadbridge/results/")
    done = client.get(results_url)
    assert done.status_code == 200
    assert recorder.sent == [[LEAD, CONTACT]]
    assert "1 of 2 records are in leadbridge; 1 failed" in done.text
    assert '<a href="/prospects/7">a@example.com</a>' in done.text
    assert "Created" in done.text and f"no contact {CONTACT} in Salesforce" in done.text


def test_bad_ids_are_named_with_the_reason(web: Web) -> None:
    client = web("marketing")
    install_gateway(client.app, RecordingGateway())  # type: ignore[arg-type]
    page = client.get(f"/send-to-leadbridge?ids={LEAD},short,001000000000003AAA,{'x' * 300}")
    assert page.status_code == 200
    assert "3 ids are not sent" in page.text
    assert "<code>short</code>: not a Salesforce id (15 or 18 letters and digits)" in page.text
    assert "<code>001000000000003AAA</code>: not a lead or contact id" in page.text
    assert "x" * 40 + "…" in page.text and "x" * 41 not in page.text
    assert "1 record to bring in" in page.text
    nothing = client.get("/send-to-leadbridge?ids=nope")
    assert "Confirm" not in nothing.text and "No Salesforce ids to send" in nothing.text


def test_too_many_ids_and_posts_without_valid_ids_are_refused(web: Web) -> None:
    client = web("marketing")
    recorder = RecordingGateway()
    install_gateway(client.app, recorder)  # type: ignore[arg-type]
    many = ",".join(f"00Q{n:012d}" for n in range(2001))
    page = client.get(f"/send-to-leadbridge?ids={many}")
    assert "send at most 2,000 at a time" in page.text and "Confirm" not in page.text
    assert client.post("/send-to-leadbridge", data={"ids": many}).status_code == 422
    assert client.post("/send-to-leadbridge", data={"ids": "bad"}).status_code == 422
    huge = client.post("/send-to-leadbridge", data={"ids": "a" * 70_000})
    assert 400 <= huge.status_code < 500
    assert recorder.sent == []


def test_salesforce_unavailable_is_a_clear_message(web: Web) -> None:
    client = web("marketing")
    failing = RecordingGateway(CrmTransientError("SERVER_UNAVAILABLE", "try later"))
    install_gateway(client.app, failing)  # type: ignore[arg-type]
    done = client.post("/send-to-leadbridge", data={"ids": LEAD})
    assert done.status_code == 502
    assert "Nothing was brought in: SERVER_UNAVAILABLE: try later" in done.text


def test_without_a_gateway_the_page_says_so(web: Web) -> None:
    client = web("marketing")
    done = client.post("/send-to-leadbridge", data={"ids": LEAD})
    assert done.status_code == 503
    assert "no Salesforce connection" in done.text


def test_a_post_without_csrf_is_refused(web: Web) -> None:
    client = web("marketing")
    recorder = RecordingGateway()
    install_gateway(client.app, recorder)  # type: ignore[arg-type]
    refused = client.post("/send-to-leadbridge", data={"ids": LEAD}, headers={"X-CSRF-Token": "x"})
    assert refused.status_code == 403
    assert recorder.sent == []


def test_sales_users_may_not(web: Web) -> None:
    client = web("sales")
    assert client.get(f"/send-to-leadbridge?ids={LEAD}").status_code == 403
    assert client.post("/send-to-leadbridge", data={"ids": LEAD}).status_code == 403


def test_refreshing_the_results_sends_nothing_and_only_the_sender_sees_them(
    web: Web, console_db: Database
) -> None:
    client = web("sales_manager")
    recorder = RecordingGateway()
    install_gateway(client.app, recorder)  # type: ignore[arg-type]
    url = client.post("/send-to-leadbridge", data={"ids": f"{LEAD},{CONTACT}"}).headers["location"]
    for _ in range(3):  # a browser refresh is a GET of the results page
        assert "1 of 2 records are in leadbridge" in client.get(url).text
    assert recorder.sent == [[LEAD, CONTACT]]
    assert web("admin").get(url).status_code == 404
    assert client.get("/send-to-leadbridge/results/99999999999999999999").status_code == 422


def test_results_older_than_a_day_go_when_new_ones_are_kept(web: Web, console_db: Database) -> None:
    client = web("sales_manager")
    install_gateway(client.app, RecordingGateway())  # type: ignore[arg-type]
    first = client.post("/send-to-leadbridge", data={"ids": f"{LEAD},{CONTACT}"})
    with console_db.session() as session:
        session.execute(
            update(SendToResultRow).values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    client.post("/send-to-leadbridge", data={"ids": f"{LEAD},{CONTACT}"})
    with console_db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(SendToResultRow)) == 1
    assert client.get(first.headers["location"]).status_code == 404
