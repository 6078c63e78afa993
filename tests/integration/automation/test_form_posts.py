"""The form intake (PostgreSQL's): a post is checked and kept at once, then applied by the
processor — prospects, completion actions, rules — exactly once, whatever crashes between.

The processor runs on both backends (the `db` fixture); the intake itself is what `serve`
uses on PostgreSQL, and the tests of several processes sharing the work run there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from leadbridge.api import create_app
from leadbridge.api.forms import install_form_posts
from leadbridge.automation import FormHandlerInactiveError, FormHandlerService
from leadbridge.automation.form_posts import FormPostIntake, process_pending_submissions
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.domain.forms import REDACTED, SubmissionError
from leadbridge.errors import NotFoundError
from leadbridge.store import Database, ProspectRepository
from leadbridge.store.form_posts import FormPostRepository
from leadbridge.store.forms import FormSubmissionRepository
from leadbridge.store.models import FormPostRow, FormSubmissionRow, ProspectRow
from tests.integration.automation.support import add_rule, add_users, pushes
from tests.integration.store.support import FakeClock

ROOT = Path(__file__).resolve().parents[3]


def handler(db: Database, clock: FakeClock, **definition: Any) -> dict[str, Any]:
    definition.setdefault("field_map", {"work_email": "email", "org": "company"})
    definition.setdefault("required", ["org"])
    definition.setdefault("actions", [{"type": "adjust_score", "by": 10}])
    return FormHandlerService(db, clock).add("Contact us", **definition)


def scored_rule(db: Database, clock: FakeClock) -> None:
    add_rule(db, clock, "ACME", criteria=[{"field": "company", "op": "equals", "value": "acme"}],
             actions=[{"type": "adjust_score", "by": 1}])  # fmt: skip


def counts(db: Database) -> tuple[int, int, int]:
    with db.session(readonly=True) as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (FormPostRow, ProspectRow, FormSubmissionRow)
        )


def posts(db: Database, clock: FakeClock) -> dict[str, int]:
    with db.session(readonly=True) as session:
        return FormPostRepository(session, clock).counts()


def score_of(db: Database, clock: FakeClock, email: str) -> int:
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).by_email(email)
        assert prospect is not None, email
        return prospect.score


def test_a_post_is_kept_then_applied_with_completion_actions_and_rules(
    db: Database, clock: FakeClock
) -> None:
    [rep] = add_users(db, "rep@example.com")
    found = handler(db, clock, actions=[
        {"type": "assign_user", "user": "rep@example.com"}, {"type": "adjust_score", "by": 10},
    ])  # fmt: skip
    scored_rule(db, clock)
    intake = FormPostIntake(db, clock)
    post_id = intake.accept(
        found["public_id"],
        {"work_email": "Ada@Example.com", "org": "ACME", "password": "hunter2"},
        "192.0.2.7",
    )
    assert counts(db) == (1, 0, 0)  # kept, nothing applied yet
    assert posts(db, clock) == {"pending": 1, "done": 0, "failed": 0}

    report = process_pending_submissions(db, clock, limit=10)

    assert (report.applied, report.failed, report.retried) == (1, 0, 0)
    assert counts(db) == (1, 1, 1)
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).by_email("ada@example.com")
        assert prospect is not None
        [submission] = FormSubmissionRepository(session, clock).for_prospect(prospect.id)
        row = session.get(FormPostRow, post_id)
    assert (prospect.company, prospect.score, prospect.assigned_user_id) == ("ACME", 11, rep)
    assert row is not None and (row.status, row.attempts, row.client) == ("done", 1, "192.0.2.7")
    assert row.submission_id == submission.id and row.processed_at is not None
    assert row.payload["password"] == REDACTED == submission.payload["password"]
    assert (prospect.id, "assigned") in pushes(db, clock)
    assert process_pending_submissions(db, clock).claimed == 0


@pytest.mark.parametrize(
    ("submitted", "code", "field"),
    [
        ({"work_email": "not-an-email", "org": "ACME"}, "invalid_email", "work_email"),
        ({"org": "ACME"}, "required", "work_email"),
        ({"work_email": "a@example.com"}, "required", "org"),
        ({"work_email": "a@example.com", "org": "A", "employees": "lots"}, "invalid_value",
         "employees"),
        ({"work_email": "a@example.com", "org": "A", "colour": "red"}, "unknown_field", "colour"),
    ],
)  # fmt: skip
def test_bad_posts_are_refused_at_once_and_nothing_is_kept(
    db: Database, clock: FakeClock, submitted: dict[str, Any], code: str, field: str
) -> None:
    found = handler(db, clock, reject_unknown=True)
    with pytest.raises(SubmissionError) as caught:
        FormPostIntake(db, clock).accept(found["public_id"], submitted, None)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert counts(db) == (0, 0, 0)


def test_unknown_and_switched_off_handlers_are_refused_at_once(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    intake = FormPostIntake(db, clock, cache_seconds=0)
    with pytest.raises(NotFoundError):
        intake.accept("A" * 16, {"work_email": "a@example.com", "org": "A"}, None)
    FormHandlerService(db, clock).set_active(str(found["id"]), False)
    with pytest.raises(FormHandlerInactiveError):
        intake.accept(found["public_id"], {"work_email": "a@example.com", "org": "A"}, None)
    assert counts(db) == (0, 0, 0)


def test_a_post_that_no_longer_applies_is_marked_failed_with_the_reason(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    FormPostIntake(db, clock).accept(found["public_id"], {"work_email": "a@example.com",
                                                          "org": "A"}, None)  # fmt: skip
    FormHandlerService(db, clock).set_active(str(found["id"]), False)  # switched off since
    report = process_pending_submissions(db, clock)
    assert (report.applied, report.failed) == (0, 1)
    with db.session(readonly=True) as session:
        [row] = session.scalars(select(FormPostRow))
    assert (row.status, row.error) == ("failed", "this form handler is switched off")
    assert counts(db) == (1, 0, 0)


def test_posts_are_applied_in_batches_and_a_post_applied_again_changes_nothing(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    scored_rule(db, clock)
    intake = FormPostIntake(db, clock)
    for n in range(5):
        intake.accept(found["public_id"], {"work_email": f"p{n}@example.com", "org": "ACME"},
                      None)  # fmt: skip
    intake.accept(found["public_id"], {"work_email": "p0@example.com", "org": "ACME"}, None)
    assert process_pending_submissions(db, clock, limit=4).applied == 4
    assert process_pending_submissions(db, clock, limit=4).applied == 2
    assert counts(db) == (6, 5, 6)
    assert score_of(db, clock, "p0@example.com") == 21  # two posts: 10 + 10, the rule once
    assert score_of(db, clock, "p1@example.com") == 11

    # A job retried after its commit (say the acknowledgement was lost): nothing twice.
    with db.session() as session:
        session.execute(update(FormPostRow).values(status="pending"))
    assert process_pending_submissions(db, clock).applied == 6
    assert counts(db) == (6, 5, 6)
    assert score_of(db, clock, "p0@example.com") == 21
    assert score_of(db, clock, "p1@example.com") == 11


def test_a_failure_mid_batch_commits_nothing_and_the_posts_are_applied_later(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    intake = FormPostIntake(db, clock)
    intake.accept(found["public_id"], {"work_email": "a@example.com", "org": "A"}, None)

    def claim_apply_and_die() -> None:
        with db.session() as session:
            [row] = FormPostRepository(session, clock).claim(10)
            FormSubmissionService(db, clock).apply(
                session, row.handler_id, row.payload, spool_id=f"form-post:{row.id}"
            )
            raise RuntimeError("the process died here")

    with pytest.raises(RuntimeError):
        claim_apply_and_die()
    assert counts(db) == (1, 0, 0)
    assert posts(db, clock)["pending"] == 1
    assert process_pending_submissions(db, clock).applied == 1
    assert counts(db) == (1, 1, 1)
    assert score_of(db, clock, "a@example.com") == 10


CLAIM_AND_HANG = """
import sys, time
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.ports import SystemClock
from leadbridge.store import open_database
from leadbridge.store.form_posts import FormPostRepository

db, clock = open_database(sys.argv[1]), SystemClock()
with db.session() as session:
    rows = FormPostRepository(session, clock).claim(2)
    for row in rows:
        FormSubmissionService(db, clock).apply(
            session, row.handler_id, row.payload, spool_id=f"form-post:{row.id}"
        )
    print(len(rows), flush=True)
    time.sleep(120)
"""


@pytest.mark.postgres
def test_posts_held_by_a_process_killed_mid_batch_are_skipped_then_applied_once(
    postgres_database: Database, clock: FakeClock
) -> None:
    from tests.integration.store.conftest import _empty

    db = postgres_database
    _empty(db)
    found = handler(db, clock)
    intake = FormPostIntake(db, clock)
    for n in range(3):
        intake.accept(found["public_id"], {"work_email": f"p{n}@example.com", "org": "A"}, None)
    url = db.engine.url.render_as_string(hide_password=False)
    with subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_HANG, url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as worker:
        try:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "2"
            # Another process meanwhile: the two held posts are skipped, not waited for.
            report = process_pending_submissions(db, clock)
            assert report.applied == 1
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
    assert posts(db, clock) == {"pending": 2, "done": 1, "failed": 0}
    assert process_pending_submissions(db, clock).applied == 2
    assert counts(db) == (3, 3, 3)
    assert [score_of(db, clock, f"p{n}@example.com") for n in range(3)] == [10, 10, 10]


@pytest.mark.postgres
def test_the_public_endpoint_keeps_posts_and_answers_as_before(
    postgres_database: Database, clock: FakeClock
) -> None:
    from tests.integration.store.conftest import _empty

    db = postgres_database
    _empty(db)
    found = handler(db, clock)
    app = create_app(db, clock, console=False)
    install_form_posts(app, FormPostIntake(db, clock))
    with TestClient(app) as client:
        accepted = client.post(found["path"], data={"work_email": "a@example.com", "org": "A"})
        missing = client.post(found["path"], data={"work_email": "b@example.com"})
        unknown = client.post("/form-handlers/" + "A" * 16, data={"work_email": "c@x.com"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["ok"] is True and isinstance(accepted.json()["submission_id"], int)
    assert missing.status_code == 422 and "org" in missing.text
    assert unknown.status_code == 404
    assert counts(db) == (1, 0, 0)
    process_pending_submissions(db, clock)
    assert score_of(db, clock, "a@example.com") == 10


def test_serves_background_thread_applies_posts_as_they_come(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    intake = FormPostIntake(db, clock)
    stop = threading.Event()
    thread = threading.Thread(target=intake.process_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        for n in range(3):
            intake.accept(found["public_id"], {"work_email": f"p{n}@example.com", "org": "A"},
                          None)  # fmt: skip
        deadline = time.monotonic() + 30
        while posts(db, clock)["done"] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        intake.wake.set()
        thread.join(30)
    assert not thread.is_alive()
    assert posts(db, clock) == {"pending": 0, "done": 3, "failed": 0}
    assert counts(db) == (3, 3, 3)


@pytest.mark.postgres
def test_the_writer_keeps_concurrent_posts_together_each_answered_with_its_own_id(
    postgres_database: Database, clock: FakeClock
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from leadbridge.store.form_post_writer import FormPostWriter
    from tests.integration.store.conftest import _empty

    db = postgres_database
    _empty(db)
    found = handler(db, clock)
    writer = FormPostWriter(db, clock)
    try:
        with ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda n: writer.keep(found["id"], {"n": n}, None), range(200)))
        with pytest.raises(Exception, match="foreign key"):  # a handler deleted meanwhile
            writer.keep(found["id"] + 1000, {"n": -1}, None)
        assert writer.keep(found["id"], {"n": 200}, None) > max(ids)
    finally:
        writer.close()
    with db.session(readonly=True) as session:
        kept = {row.id: row.payload["n"] for row in session.scalars(select(FormPostRow))}
    assert kept == {**dict(zip(ids, range(200), strict=True)), max(kept): 200}
    assert writer.statements < 200  # posts waiting together went in one statement
