"""Form posts applied in batches (automation/form_batch.py): the same result as applying
each post in turn — same-email posts in order, rules on each post's state, a bad post
refused alone — with a number of statements that does not grow with the batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, update

from leadbridge.automation import FormHandlerService
from leadbridge.automation.form_posts import FormPostIntake, process_pending_submissions
from leadbridge.domain.fields import FieldType
from leadbridge.store import Database, ProspectRepository
from leadbridge.store.custom_fields import CustomFieldRepository
from leadbridge.store.forms import FormSubmissionRepository
from leadbridge.store.models import AuditRow, FormPostRow
from tests.integration.automation.support import add_rule, add_users, pushes
from tests.integration.automation.test_form_posts import counts, handler, posts, score_of
from tests.integration.store.support import FakeClock


def keep(db: Database, clock: FakeClock, public_id: str, *submitted: dict[str, Any]) -> list[int]:
    intake = FormPostIntake(db, clock)
    try:
        return [intake.accept(public_id, post, None) for post in submitted]
    finally:
        intake.close()


def company_changes(db: Database, email: str) -> list[tuple[str | None, str | None, str]]:
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, FakeClock()).by_email(email)
        assert prospect is not None
        query = (
            select(AuditRow.old_value, AuditRow.new_value, AuditRow.origin)
            .where(AuditRow.prospect_id == prospect.id, AuditRow.field == "company")
            .order_by(AuditRow.id)
        )
        return [(old, new, str(origin)) for old, new, origin in session.execute(query)]


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_posts_with_the_same_email_in_one_batch_apply_in_order_with_the_rules_on_each(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    add_rule(db, clock, "ACME", criteria=[{"field": "company", "op": "equals", "value": "ACME"}],
             actions=[{"type": "adjust_score", "by": 1}])  # fmt: skip
    keep(db, clock, found["public_id"],
         {"work_email": "ada@example.com", "org": "ACME"},
         {"work_email": "bob@example.com", "org": "Beta"},
         {"work_email": "ADA@example.com", "org": "Beta"},
         {"work_email": "ada@example.com", "org": "Gamma"})  # fmt: skip

    report = process_pending_submissions(db, clock, limit=10)

    assert (report.applied, report.failed) == (4, 0)
    assert counts(db) == (4, 2, 4)
    # The rule fired after the first post, when the company was ACME (on the final state
    # alone it would not): 3 posts of 10 and the rule's 1.
    assert score_of(db, clock, "ada@example.com") == 31
    assert score_of(db, clock, "bob@example.com") == 10
    assert company_changes(db, "ada@example.com") == [
        ("ACME", "Beta", "form"),
        ("Beta", "Gamma", "form"),
    ]
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).by_email("ada@example.com")
        assert prospect is not None
        history = FormSubmissionRepository(session, clock).for_prospect(prospect.id)
        rows = list(session.scalars(select(FormPostRow).order_by(FormPostRow.id)))
    assert [s.payload["org"] for s in reversed(history)] == ["ACME", "Beta", "Gamma"]
    assert [row.submission_id for row in rows if row.id != rows[1].id] == [
        s.id for s in reversed(history)
    ]


def test_a_post_failing_its_checks_is_failed_with_its_reason_and_the_others_apply(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    ids = keep(db, clock, found["public_id"],
               *({"work_email": f"p{n}@example.com", "org": "ACME"} for n in range(5)))  # fmt: skip
    with db.session() as session:  # a post that no longer passes (kept before a change)
        session.execute(
            update(FormPostRow)
            .where(FormPostRow.id == ids[2])
            .values(payload={"work_email": "not-an-email", "org": "ACME"})
        )

    report = process_pending_submissions(db, clock)

    assert (report.applied, report.failed) == (4, 1)
    assert posts(db, clock) == {"pending": 0, "done": 4, "failed": 1}
    with db.session(readonly=True) as session:
        bad = session.get(FormPostRow, ids[2])
    assert bad is not None and bad.status == "failed" and bad.submission_id is None
    assert bad.error is not None and "email" in bad.error
    assert counts(db) == (5, 4, 4)
    assert [score_of(db, clock, f"p{n}@example.com") for n in (0, 1, 3, 4)] == [10] * 4


def test_completion_actions_assign_and_request_a_push_in_the_batch(
    db: Database, clock: FakeClock
) -> None:
    [rep] = add_users(db, "rep@example.com")
    found = handler(db, clock, actions=[
        {"type": "assign_user", "user": "rep@example.com"}, {"type": "adjust_score", "by": 5},
        {"type": "change_field", "field": "city", "value": "Lyon"},
    ])  # fmt: skip
    keep(db, clock, found["public_id"],
         *({"work_email": f"p{n}@example.com", "org": "ACME"} for n in range(3)))  # fmt: skip

    assert process_pending_submissions(db, clock).applied == 3

    with db.session(readonly=True) as session:
        found_prospects = ProspectRepository(session, clock).by_emails(
            [f"p{n}@example.com" for n in range(3)]
        )
    assert {(p.score, p.city, p.assigned_user_id) for p in found_prospects.values()} == {
        (5, "Lyon", rep)
    }
    assert sorted(reason for _, reason in pushes(db, clock)) == ["assigned"] * 3


def test_a_batch_takes_the_same_statements_for_10_posts_as_for_200(
    db: Database, clock: FakeClock
) -> None:
    found = handler(db, clock)
    add_rule(db, clock, "ACME", criteria=[{"field": "company", "op": "equals", "value": "ACME"}],
             actions=[{"type": "adjust_score", "by": 1}])  # fmt: skip
    keep(db, clock, found["public_id"],
         *({"work_email": f"a{n}@example.com", "org": "ACME"} for n in range(10)))  # fmt: skip
    with statements(db) as few:
        assert process_pending_submissions(db, clock).applied == 10
    keep(db, clock, found["public_id"],
         *({"work_email": f"b{n}@example.com", "org": "ACME"} for n in range(200)))  # fmt: skip
    with statements(db) as many:
        assert process_pending_submissions(db, clock).applied == 200
    assert len(many) == len(few) < 60
    assert score_of(db, clock, "b199@example.com") == 11


def test_posts_to_a_custom_field_apply_one_by_one_in_order_with_the_same_email(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        CustomFieldRepository(session).add("seats", "Seats", FieldType.NUMBER)
    plain = handler(db, clock)
    custom = FormHandlerService(db, clock).add(
        "Trial", field_map={"work_email": "email", "org": "company", "seats": "seats"},
        required=["org"], actions=[{"type": "adjust_score", "by": 10}],
    )  # fmt: skip
    keep(db, clock, plain["public_id"], {"work_email": "ada@example.com", "org": "ACME"})
    keep(db, clock, custom["public_id"],
         {"work_email": "ada@example.com", "org": "Beta", "seats": "12"})  # fmt: skip
    keep(db, clock, plain["public_id"],
         {"work_email": "ada@example.com", "org": "Gamma"},
         {"work_email": "bob@example.com", "org": "ACME"})  # fmt: skip

    assert process_pending_submissions(db, clock).applied == 4

    assert company_changes(db, "ada@example.com") == [
        ("ACME", "Beta", "form"),
        ("Beta", "Gamma", "form"),
    ]
    with db.session(readonly=True) as session:
        ada = ProspectRepository(session, clock).by_email("ada@example.com")
    assert ada is not None and ada.custom["seats"] == 12 and ada.score == 30
    assert score_of(db, clock, "bob@example.com") == 10


def test_a_batch_that_fails_is_undone_and_its_posts_applied_one_by_one(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadbridge.automation.form_batch import FormPostBatch

    found = handler(db, clock)
    keep(db, clock, found["public_id"],
         *({"work_email": f"p{n}@example.com", "org": "ACME"} for n in range(3)))  # fmt: skip
    rounds = FormPostBatch._round

    def fails_after_writing(self: FormPostBatch, *args: Any) -> list[int]:
        rounds(self, *args)  # everything written, then a bug: the savepoint undoes it
        raise RuntimeError("a bug in the batch")

    monkeypatch.setattr(FormPostBatch, "_round", fails_after_writing)
    assert process_pending_submissions(db, clock).applied == 3
    assert counts(db) == (3, 3, 3)
    assert [score_of(db, clock, f"p{n}@example.com") for n in range(3)] == [10] * 3
