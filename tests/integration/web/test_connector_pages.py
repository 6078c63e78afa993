"""The connector page: status, Verify against the sandbox org, Pause / Resume / Sync now,
the settings form (validation, audit) and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store.connector import ConnectorRepository, ConnectorSecrets
from leadbridge.store.connector_status import record_api_usage
from leadbridge.store.database import Database
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.secret_box import Secret
from leadbridge.store.sync_errors import SyncErrorRepository
from tests.conftest import SandboxClient
from tests.console import WebClient
from tests.integration.web.admin_support import changes, connect, field_errors, notice, with_gateway

SETTINGS = {
    "poll_interval_seconds": "120",
    "api_budget_percent": "50",
    "bulk_threshold": "10000",
    "placeholder_company": "[not provided]",
    "sync_deletes_and_merges": "true",
    "change_data_capture": "true",
}


@pytest.fixture
def service(console_db: Database, sandbox: SandboxClient, tmp_path: Path) -> ConnectorService:
    return connect(console_db, sandbox, tmp_path)


def _state(client: WebClient) -> str:
    page = client.get("/connector/status")
    assert page.status_code == 200
    start = page.text.index('id="connector-state">') + len('id="connector-state">')
    return page.text[start : page.text.index("<", start)]


def test_verify_against_the_org_then_resume_pause_and_sync_now(
    web: Callable[..., WebClient], service: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    gateway = with_gateway(admin.app, service)
    assert _state(admin) == "Not verified"

    answer = admin.post("/connector/verify")
    assert answer.status_code == 303
    assert notice(answer).startswith("Verified: leadbridge can read Lead, Contact")
    assert _state(admin) == "Paused"

    assert "Connector resumed" in notice(admin.post("/connector/resume"))
    assert _state(admin) == "Connected"
    assert "Connector paused" in notice(admin.post("/connector/pause"))
    assert _state(admin) == "Paused"
    assert notice(admin.post("/connector/pause")) == "Already paused."

    admin.post("/connector/sync-now")
    assert gateway.woken.is_set()
    audit = [(c.field, c.old_value, c.new_value, c.actor) for c in changes(console_db, "connector")]
    assert audit == [
        ("paused", "off", "on", admin_email(admin)),
        ("paused", "on", "off", admin_email(admin)),
    ]
    page = admin.get("/connector")
    assert "Salesforce connector" in page.text
    assert service.credentials().password not in page.text  # secrets never on the page


def admin_email(client: WebClient) -> str:
    from tests.console import email_for

    return email_for("admin")


def test_a_refused_login_at_verify_shows_as_problems(
    web: Callable[..., WebClient], service: ConnectorService
) -> None:
    admin = web("admin")
    with_gateway(admin.app, service)
    with service.db.session() as session:
        repo = ConnectorRepository(session, service._box)
        config = repo.get()
        assert config is not None
        wrong = {name: Secret("wrong-secret-value") for name in repo.secrets().given()}
        repo.save(config, ConnectorSecrets(**wrong))
    service._client = None
    answer = admin.post("/connector/verify")
    assert answer.status_code == 303
    assert notice(answer).startswith("Not verified: ")
    assert _state(admin) == "Problems"
    page = admin.get("/connector").text
    assert "found by the last verify" in page
    assert "wrong-secret-value" not in page


def test_status_shows_queue_usage_and_errors_by_kind(
    web: Callable[..., WebClient], service: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    clock = SystemClock()
    with console_db.session() as session:
        prospects = ProspectRepository(session, clock)
        ids = [
            prospects.add({"email": f"p{i}@example.com"}, origin=Origin.USER, actor=None).id
            for i in range(3)
        ]
        outbox = OutboxRepository(session, clock)
        outbox.enqueue_unless_pending(PUSH, ids, "test")
        queued = outbox.count_pending(PUSH)
        errors = SyncErrorRepository(session, clock)
        errors.record(ids[0], error_code="DUPLICATES_DETECTED", message="A duplicate")
        errors.record(ids[1], error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Bad")
        record_api_usage(ConnectorRepository(session), used=1234, limit=15000, at=clock.now())
    page = admin.get("/connector/status").text
    assert queued >= 3
    assert f'id="sync-queue">{queued}<' in page
    assert "1,234" in page and "of 15,000" in page
    assert "leadbridge's budget 50% (7,500 calls)" in page
    assert 'href="/sync-errors?kind=duplicate">duplicate 1<' in page
    assert 'href="/sync-errors?kind=data">data 1<' in page


def test_settings_are_validated_per_field_with_nothing_saved(
    web: Callable[..., WebClient], service: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    bad = {**SETTINGS, "poll_interval_seconds": "2", "api_budget_percent": "lots"}
    answer = admin.post("/connector/settings", data=bad)
    assert answer.status_code == 422
    assert field_errors(answer.text) == [
        "Poll interval (seconds) must be between 5 and 3600.",
        "API budget (% of the org&#39;s daily allowance) must be a whole number, "
        "not &#39;lots&#39;.",
    ]
    assert 'value="lots"' in answer.text  # what was typed is shown again
    assert changes(console_db, "connector") == []
    blank = admin.post("/connector/settings", data={**SETTINGS, "placeholder_company": "  "})
    assert blank.status_code == 422
    assert field_errors(blank.text) == ["Placeholder company must be 1 to 255 characters."]


def test_saved_settings_are_audited_old_to_new(
    web: Callable[..., WebClient], service: ConnectorService, console_db: Database
) -> None:
    admin = web("admin")
    new = {**SETTINGS, "poll_interval_seconds": "30", "auto_create_prospects": "true"}
    answer = admin.post("/connector/settings", data=new)
    assert answer.status_code == 303
    assert notice(answer) == (
        "Saved: Poll interval (seconds), Create prospects from new Salesforce leads and contacts."
    )
    with console_db.session(readonly=True) as session:
        repo = ConnectorRepository(session)
        assert repo.settings().poll_interval_seconds == 30
        assert repo.settings().auto_create_prospects is True
        from leadbridge.store.auto_create import AutoCreateState

        assert AutoCreateState(repo).since_local() is not None  # taken from the next cycle
    audit = {(c.field, c.old_value, c.new_value) for c in changes(console_db, "connector")}
    assert audit == {("poll_interval_seconds", "120", "30"), ("auto_create_prospects", "off", "on")}
    again = admin.post("/connector/settings", data=new)
    assert notice(again) == "Nothing changed."
    assert len(changes(console_db, "connector")) == 2
    page = admin.get("/connector").text
    recent = page.split("Recent changes")[1]
    assert "Poll interval (seconds)" in recent and "poll_interval_seconds" not in recent


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales"])
def test_only_administrators_change_the_connector(
    web: Callable[..., WebClient], service: ConnectorService, role: str
) -> None:
    client = web(role)
    for path in ("verify", "pause", "resume", "sync-now"):
        assert client.post(f"/connector/{path}").status_code == 403
    assert client.post("/connector/settings", data=SETTINGS).status_code == 403
    viewing = client.get("/connector").status_code
    assert viewing == (200 if role == "marketing" else 403)


def test_marketing_sees_the_settings_but_cannot_save(
    web: Callable[..., WebClient], service: ConnectorService
) -> None:
    page = web("marketing").get("/connector").text
    assert "Only an administrator changes the connector" in page
    assert 'action="/connector/pause"' not in page


def test_the_status_says_whether_changes_are_streamed_or_polled_and_why(
    web: Callable[..., WebClient], service: ConnectorService, console_db: Database
) -> None:
    from leadbridge.store.change_streams import POLLING, STREAM, ChangeStreamRepository

    admin = web("admin")
    service.verify()
    service.set_paused(False)
    reason = "Salesforce does not publish Lead and Contact changes: select them in Setup"
    with console_db.session() as session:
        ChangeStreamRepository(session, SystemClock()).set_mode(POLLING, reason)
    polled = admin.get("/connector/status").text
    assert "by polling every 120 seconds: " + reason in polled
    assert "Syncing every 120 seconds." in polled
    with console_db.session() as session:
        ChangeStreamRepository(session, SystemClock()).set_mode(STREAM, "streaming")
    streamed = admin.get("/connector/status").text
    assert "as they happen, by Change Data Capture since" in streamed
    assert "Streaming Salesforce&#39;s changes; pushing every 120 seconds." in streamed
