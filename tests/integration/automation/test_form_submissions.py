"""Accepting form posts against the store: create or update by email, completion actions,
rules, the activity log, and bad posts that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from leadbridge.automation import FormHandlerInactiveError, FormHandlerService
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.domain.fields import Origin
from leadbridge.domain.forms import REDACTED, SubmissionError
from leadbridge.errors import InputError, NotFoundError
from leadbridge.store import (
    AuditRepository,
    Database,
    MarketingCampaignRepository,
    ProspectRepository,
    UserRepository,
)
from leadbridge.store.campaign_requests import CampaignRequestRepository
from leadbridge.store.forms import FormSubmissionRepository
from leadbridge.store.models import AuditRow, FormSubmissionRow, ProspectRow
from tests.integration.automation.support import add_rule, add_users, pushes
from tests.integration.store.support import FakeClock

CAMPAIGN = "701000000000001AAA"


def handler(db: Database, clock: FakeClock, **definition: Any) -> int:
    definition.setdefault("field_map", {"work_email": "email", "org": "company"})
    return int(FormHandlerService(db, clock).add("Contact us", **definition)["id"])


def counts(db: Database) -> tuple[int, int, int]:
    with db.session(readonly=True) as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (ProspectRow, FormSubmissionRow, AuditRow)
        )


def test_a_post_creates_the_prospect_and_runs_completion_actions_then_rules(
    db: Database, clock: FakeClock
) -> None:
    [rep] = add_users(db, "rep@example.com")
    with db.session() as session:
        MarketingCampaignRepository(session).add("Spring")
    handler_id = handler(db, clock, required=["org"], actions=[
        {"type": "assign_user", "user": "rep@example.com"},
        {"type": "add_to_crm_campaign", "campaign_id": CAMPAIGN, "status": "Responded"},
        {"type": "adjust_score", "by": 10},
        {"type": "set_marketing_campaign", "campaign": "Spring"},
    ])  # fmt: skip
    add_rule(db, clock, "ACME", criteria=[{"field": "company", "op": "equals", "value": "acme"}],
             actions=[{"type": "adjust_score", "by": 1}])  # fmt: skip
    result = FormSubmissionService(db, clock).submit(
        handler_id,
        {"work_email": "Ada@Example.com", "org": "ACME", "password": "hunter2", "utm": "x"},
    )
    assert result.created and [f.rule for f in result.rules.firings] == ["ACME"]
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).get(result.prospect_id)
        [request] = CampaignRequestRepository(session, clock).for_prospect(prospect.id)
        [submission] = FormSubmissionRepository(session, clock).for_prospect(prospect.id)
        history = AuditRepository(session).for_prospect(prospect.id)
    assert (prospect.email, prospect.company, prospect.score) == ("Ada@Example.com", "ACME", 11)
    assert (prospect.assigned_user_id, prospect.marketing_campaign) == (rep, "Spring")
    assert (request.crm_campaign_id, request.status) == (CAMPAIGN, "Responded")
    assert submission.payload == {
        "work_email": "Ada@Example.com",
        "org": "ACME",
        "password": REDACTED,
        "utm": "x",
    }
    assert {(e.origin, e.actor) for e in history} == {
        (Origin.FORM, "form handler Contact us"),
        (Origin.AUTOMATION, "ACME"),
    }
    assert (prospect.id, "assigned") in pushes(db, clock)


def test_a_post_updates_the_prospect_with_that_email_in_any_case(
    db: Database, clock: FakeClock
) -> None:
    handler_id = handler(db, clock, actions=[{"type": "adjust_score", "by": 5}])
    service = FormSubmissionService(db, clock)
    first = service.submit(handler_id, {"work_email": "ada@example.com", "org": "ACME"})
    second = service.submit(
        handler_id, {"work_email": " ADA@EXAMPLE.COM ", "org": "", "first_name": "Ada"}
    )
    assert (second.prospect_id, second.created) == (first.prospect_id, False)
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).get(first.prospect_id)
    assert (prospect.email, prospect.company) == ("ada@example.com", "ACME")  # blank kept
    assert (prospect.first_name, prospect.score) == ("Ada", 10)  # actions run every time


@pytest.mark.parametrize(
    ("submitted", "code", "field"),
    [
        ({"work_email": "not-an-email", "org": "ACME"}, "invalid_email", "work_email"),
        ({"org": "ACME"}, "required", "work_email"),
        ({"work_email": "a@example.com"}, "required", "org"),
        ({"work_email": "a@example.com", "org": "A", "employees": "lots"}, "invalid_value",
         "employees"),
        ({"work_email": "a@example.com", "org": "x" * 256}, "invalid_value", "org"),
        ({"work_email": "a@example.com", "org": "A", "colour": "red"}, "unknown_field", "colour"),
    ],
)  # fmt: skip
def test_bad_posts_change_nothing(
    db: Database, clock: FakeClock, submitted: dict[str, Any], code: str, field: str
) -> None:
    handler_id = handler(db, clock, required=["org"], reject_unknown=True,
                         actions=[{"type": "adjust_score", "by": 5}])  # fmt: skip
    before = counts(db)
    with pytest.raises(SubmissionError) as caught:
        FormSubmissionService(db, clock).submit(handler_id, submitted)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert counts(db) == before


def test_unknown_and_switched_off_handlers(db: Database, clock: FakeClock) -> None:
    handler_id = handler(db, clock)
    service = FormSubmissionService(db, clock)
    with pytest.raises(NotFoundError):
        service.submit(handler_id + 1, {"work_email": "a@example.com"})
    FormHandlerService(db, clock).set_active(str(handler_id), False)
    with pytest.raises(FormHandlerInactiveError, match="switched off"):
        service.submit(handler_id, {"work_email": "a@example.com"})
    assert counts(db)[0] == 0


def test_completion_actions_that_fail_do_not_lose_the_lead(db: Database, clock: FakeClock) -> None:
    [rep] = add_users(db, "rep@example.com")
    handler_id = handler(db, clock, actions=[{"type": "assign_user", "user": "rep@example.com"}])
    with db.session() as session:
        UserRepository(session).set_active(rep, False)
    result = FormSubmissionService(db, clock).submit(handler_id, {"work_email": "a@example.com"})
    assert result.skipped == (
        "assign to user rep@example.com (if unassigned): the user is inactive",
    )
    assert counts(db)[:2] == (1, 1)


def test_handler_definitions_are_checked(db: Database, clock: FakeClock) -> None:
    service = FormHandlerService(db, clock)
    with pytest.raises(InputError, match="cannot set score"):
        service.add("x", field_map={"points": "score"})
    with pytest.raises(InputError, match="no leadbridge user"):
        service.add("x", actions=[{"type": "assign_user", "user": "ghost@example.com"}])
    shown = service.add("x", field_map={"mail": "email"}, required=["mail"])
    assert (shown["path"], shown["email_field"], shown["then"]) == (
        f"/form-handlers/{shown['public_id']}",
        "mail",
        [],
    )
    assert service.show("x")["id"] == service.list()[0]["id"]
