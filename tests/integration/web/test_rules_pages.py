"""The automation rules pages: the builder (every operator, custom fields, all/any),
validation next to the rows, preview without saving, pause / resume / run now, roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from leadbridge.automation import RuleService
from leadbridge.automation.rules import PreviewBound
from leadbridge.domain.fields import FieldType, Origin
from leadbridge.ports import SystemClock
from leadbridge.store.custom_fields import CustomFieldRepository
from leadbridge.store.database import Database
from leadbridge.store.prospects import ProspectRepository
from leadbridge.web.rules import routes as rule_routes
from leadbridge.web.rules.runs import rule_runs
from tests.console import WebClient, add_user, email_for
from tests.integration.web.forms_html import form_fields

Web = Callable[..., WebClient]

EVERY_OPERATOR: list[dict[str, Any]] = [
    {"field": "company", "op": "equals", "value": "Acme"},
    {"field": "country", "op": "not_equals", "value": "France"},
    {"field": "job_title", "op": "contains", "value": "VP"},
    {"field": "email", "op": "starts_with", "value": "ceo"},
    {"field": "phone", "op": "is_blank"},
    {"field": "city", "op": "is_not_blank"},
    {"field": "score", "op": "greater", "value": 50},
    {"field": "score", "op": "less", "value": 1000},
    {"field": "grade", "op": "greater", "value": "B"},
    {"field": "renewal_on", "op": "less", "value": "2027-01-31"},
    {"field": "interests", "op": "contains", "value": "golf"},
    {"field": "interests", "op": "equals", "value": ["golf", "sailing"]},
    {"field": "vip", "op": "equals", "value": True},
    {"field": "email_domain", "op": "equals", "value": "example.com"},
    {"field": "assigned", "op": "equals", "value": False},
    {"field": "in_crm", "op": "not_equals", "value": True},
]


def _custom_fields(db: Database) -> None:
    with db.session() as session:
        fields = CustomFieldRepository(session)
        fields.add("renewal_on", "Renewal", FieldType.DATE)
        fields.add("interests", "Interests", FieldType.MULTISELECT, ["golf", "sailing", "chess"])
        fields.add("vip", "VIP", FieldType.CHECKBOX)


def _prospects(db: Database, *scores: int) -> list[int]:
    with db.session() as session:
        prospects = ProspectRepository(session, SystemClock())
        return [
            prospects.add(
                {"email": f"p{index}@example.com", "score": score}, origin=Origin.USER, actor="t"
            ).id
            for index, score in enumerate(scores)
        ]


def _rule_form(
    name: str,
    criteria: list[dict[str, Any]],
    actions: list[tuple[str, str, str]],
    **extra: str,
) -> dict[str, Any]:
    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ";".join(value)
        return "" if value is None else str(value)

    return {
        "name": name,
        "match": extra.pop("match", "all"),
        "c_field": [item["field"] for item in criteria],
        "c_op": [item["op"] for item in criteria],
        "c_value": [shown(item.get("value")) for item in criteria],
        "a_type": [kind for kind, _, _ in actions],
        "a_target": [target for _, target, _ in actions],
        "a_value": [value for _, _, value in actions],
        "op": "save",
        **extra,
    }


def _service(db: Database) -> RuleService:
    return RuleService(db, SystemClock())


def _error_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} in the page"
    return found.group(1)


def test_the_builder_round_trips_every_operator_and_custom_fields(
    web: Web, console_db: Database
) -> None:
    _custom_fields(console_db)
    client = web("marketing")
    form = _rule_form(
        "Everything",
        EVERY_OPERATOR,
        [("assign_user", email_for("marketing"), ""), ("adjust_score", "5", "")],
        match="any",
    )
    response = client.post("/rules/new", data=form)
    assert response.status_code == 303, response.text
    rule_id = int(response.headers["location"].rsplit("/", 1)[1])
    saved = _service(console_db).show(str(rule_id))
    assert saved["criteria"] == EVERY_OPERATOR
    assert saved["match"] == "any"

    page = client.get(f"/rules/{rule_id}/edit")
    assert page.status_code == 200
    posted = form_fields(page.text, f"/rules/{rule_id}/edit")
    again = client.post(f"/rules/{rule_id}/edit", data=_as_multi([*posted, ("op", "save")]))
    assert again.status_code == 303, again.text
    after = _service(console_db).show(str(rule_id))
    assert after["criteria"] == EVERY_OPERATOR
    assert after["actions"] == saved["actions"]
    assert after["match"] == "any"
    shown = client.get(f"/rules/{rule_id}").text
    assert "is not blank" in shown and "golf;sailing" in shown


def _as_multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return found


def test_every_action_the_cli_has_saves_from_the_form(web: Web, console_db: Database) -> None:
    client = web("marketing")
    with console_db.session() as session:
        from leadbridge.store.campaigns import MarketingCampaignRepository
        from leadbridge.store.groups import UserGroupRepository

        user_id = add_user(console_db, "sales")
        UserGroupRepository(session, SystemClock()).add("EMEA", [user_id])
        MarketingCampaignRepository(session).add("Spring")
    actions = [
        ("assign_user", email_for("sales"), ""),
        ("assign_group", "EMEA", ""),
        ("assign_salesforce_rule", "", ""),
        ("add_to_crm_campaign", "701000000000001AAA", "Responded"),
        ("adjust_score", "-3", ""),
        ("change_field", "industry", "Retail"),
        ("change_field", "city", ""),
        ("set_marketing_campaign", "Spring", ""),
        ("sync_with_crm", "", ""),
        ("set_do_not_sync", "", ""),
        ("clear_do_not_sync", "", ""),
    ]
    criteria = [{"field": "score", "op": "greater", "value": 1}]
    response = client.post("/rules/new", data=_rule_form("All actions", criteria, actions))
    assert response.status_code == 303, response.text
    saved = _service(console_db).list()[0]
    assert saved["actions"] == [
        {"type": "assign_user", "user": email_for("sales")},
        {"type": "assign_group", "group": "EMEA"},
        {"type": "assign_salesforce_rule"},
        {"type": "add_to_crm_campaign", "campaign_id": "701000000000001AAA", "status": "Responded"},
        {"type": "adjust_score", "by": -3},
        {"type": "change_field", "field": "industry", "value": "Retail"},
        {"type": "change_field", "field": "city", "value": None},
        {"type": "set_marketing_campaign", "campaign": "Spring"},
        {"type": "sync_with_crm"},
        {"type": "set_do_not_sync"},
        {"type": "clear_do_not_sync"},
    ]


def test_bad_rows_are_named_next_to_the_row_and_nothing_is_saved(
    web: Web, console_db: Database
) -> None:
    client = web("marketing")
    criteria = [
        {"field": "score", "op": "greater", "value": "lots"},
        {"field": "score", "op": "contains", "value": "5"},
        {"field": "no_such_field", "op": "equals", "value": "x"},
        {"field": "company", "op": "equals", "value": ""},
    ]
    actions = [("assign_user", "nobody@example.com", ""), ("adjust_score", "0", "")]
    response = client.post("/rules/new", data=_rule_form("", criteria, actions))
    assert response.status_code == 422
    page = response.text
    assert "&#39;lots&#39; is not a number" in _error_of(page, "c0-error")
    assert "contains does not apply to score" in _error_of(page, "c1-error")
    assert "no prospect field named" in _error_of(page, "c2-error")
    assert "give a value to compare with" in _error_of(page, "c3-error")
    assert "no leadbridge user with the email" in _error_of(page, "a0-error")
    assert "non-zero whole number" in _error_of(page, "a1-error")
    assert "Give the rule a name" in _error_of(page, "name-error")
    assert 'value="lots"' in page  # what was typed stays
    assert _service(console_db).list() == []


def test_a_taken_name_and_bad_repeat_days_are_shown_on_the_form(
    web: Web, console_db: Database
) -> None:
    client = web("marketing")
    criteria = [{"field": "score", "op": "greater", "value": 1}]
    first = _rule_form("Hot", criteria, [("adjust_score", "1", "")])
    assert client.post("/rules/new", data=first).status_code == 303
    taken = client.post("/rules/new", data=first)
    assert taken.status_code == 422
    assert "already exists" in _error_of(taken.text, "name-error")
    days = _rule_form("Warm", criteria, [("adjust_score", "1", "")], repeat="repeat")
    days["repeat_after_days"] = "soon"
    bad = client.post("/rules/new", data=days)
    assert bad.status_code == 422
    assert "A whole number of days." in _error_of(bad.text, "repeat_after_days-error")


def test_add_and_remove_condition_without_javascript_and_with_htmx(web: Web) -> None:
    client = web("marketing")
    criteria = [{"field": "company", "op": "equals", "value": "Acme"}]
    form = _rule_form("Draft", criteria, [("adjust_score", "1", "")])
    added = client.post("/rules/new", data={**form, "op": "add_condition"})
    assert added.status_code == 200
    assert added.text.count('name="c_field"') == 2
    assert "<html" in added.text  # the whole page again, typed values kept
    assert 'value="Acme"' in added.text and 'value="Draft"' in added.text

    two = _rule_form(
        "Draft",
        [*criteria, {"field": "city", "op": "equals", "value": "Paris"}],
        [("adjust_score", "1", "")],
    )
    removed = client.post(
        "/rules/builder", data={**two, "op": "remove_condition:0"}, headers={"HX-Request": "true"}
    )
    assert removed.status_code == 200
    assert "<html" not in removed.text and 'id="builder"' in removed.text
    assert removed.text.count('name="c_field"') == 1
    assert 'value="Paris"' in removed.text and 'value="Acme"' not in removed.text
    more = client.post("/rules/builder", data={**two, "op": "add_action"})
    assert more.text.count('name="a_type"') == 2


def test_the_operators_offered_follow_the_field(web: Web) -> None:
    client = web("marketing")
    form = _rule_form("x", [{"field": "score", "op": "equals", "value": ""}], [])
    fragment = client.post("/rules/builder", data=form).text
    ops = re.search(r'name="c_op".*?</select>', fragment, re.S)
    assert ops
    assert "is greater than" in ops.group(0) and "contains" not in ops.group(0)
    blank = _rule_form("x", [{"field": "score", "op": "is_blank"}], [])
    assert "no value needed" in client.post("/rules/builder", data=blank).text


def test_preview_counts_matches_without_saving(web: Web, console_db: Database) -> None:
    _prospects(console_db, 10, 60, 70, 80)
    client = web("marketing")
    criteria = [{"field": "score", "op": "greater", "value": 50}]
    form = _rule_form("Hot", criteria, [("adjust_score", "1", "")])
    response = client.post("/rules/preview", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert re.search(r'id="preview-matching">3</strong> of 4 prospects', response.text)
    assert "p1@example.com" in response.text and "p0@example.com" not in response.text
    without_js = client.post("/rules/new", data={**form, "op": "preview"})
    assert without_js.status_code == 200
    assert 'id="preview-matching">3<' in without_js.text
    bad = _rule_form("Hot", [{"field": "score", "op": "greater", "value": "x"}], [])
    shown = client.post("/rules/preview", data=bad).text
    assert "Condition 1: &#39;x&#39; is not a number" in shown
    assert _service(console_db).list() == []


def test_pause_resume_and_run_now_assign_in_the_store(web: Web, console_db: Database) -> None:
    ids = _prospects(console_db, 10, 60, 70)
    sales_id = add_user(console_db, "sales")
    client = web("marketing")
    criteria = [{"field": "score", "op": "greater", "value": 50}]
    form = _rule_form("Hot", criteria, [("assign_user", email_for("sales"), "")], paused="on")
    created = client.post("/rules/new", data=form)
    rule_url = created.headers["location"]
    assert "Paused" in client.get("/rules").text

    refused = client.post(f"{rule_url}/run")
    assert refused.status_code == 303
    assert "paused" in client.get(rule_url).text
    client.post(f"{rule_url}/resume")
    shown = client.get(rule_url).text
    assert "is active" in shown and ">Pause</button>" in shown
    preview = client.get(f"{rule_url}/preview").text
    assert 'id="preview-matching">2<' in preview

    ran = client.post(f"{rule_url}/run")  # the TestClient runs the job before answering
    assert ran.status_code == 303
    page = client.get(rule_url).text
    assert "Running “Hot” over every prospect now." in page
    assert "Ran over 3 prospects:" in page and "2</strong> matched, fired 2 times." in page
    assert "Ran over 3 prospects:" in client.get(f"{rule_url}/run").text
    assert re.search(r'id="fired-for">2<', page)
    with console_db.session(readonly=True) as session:
        prospects = ProspectRepository(session, SystemClock())
        assigned = [prospects.get(pid).assigned_user_id for pid in ids]
    assert assigned == [None, sales_id, sales_id]

    client.post(f"{rule_url}/pause")
    assert "Paused" in client.get("/rules").text
    deleted = client.post(f"{rule_url}/delete")
    assert deleted.headers["location"] == "/rules"
    assert client.get(rule_url).status_code == 404


@pytest.mark.parametrize(
    ("role", "view", "manage"),
    [
        ("admin", 200, 200),
        ("marketing", 200, 200),
        ("sales_manager", 403, 403),
        ("sales", 403, 403),
    ],
)
def test_roles(web: Web, console_db: Database, role: str, view: int, manage: int) -> None:
    rule = _service(console_db).add(
        "Hot",
        criteria=[{"field": "score", "op": "greater", "value": 1}],
        actions=[{"type": "adjust_score", "by": 1}],
    )
    client = web(role)
    assert client.get("/rules").status_code == view
    assert client.get(f"/rules/{rule['id']}").status_code == view
    assert client.get("/rules/new").status_code == manage
    assert client.get(f"/rules/{rule['id']}/edit").status_code == manage
    for action in ("pause", "resume", "run"):
        status = client.post(f"/rules/{rule['id']}/{action}").status_code
        assert status == (303 if manage == 200 else 403)
    assert ("/rules" in client.get("/account").text) is (view == 200)


def test_bad_ids_are_a_clear_4xx(web: Web) -> None:
    client = web("marketing")
    assert client.get("/rules/999").status_code == 404
    assert client.get("/rules/99999999999999").status_code == 422
    assert client.get("/rules/abc").status_code == 422
    assert client.post("/rules/999/run").status_code == 404
    assert client.post("/rules/999/edit", data={"name": "x"}).status_code == 404


def test_a_preview_is_bounded_and_says_so(
    web: Web, console_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prospects(console_db, *range(50, 70))
    criteria = [{"field": "score", "op": "greater", "value": 10}]
    service = _service(console_db)
    capped = service.preview_criteria(
        criteria, batch_size=5, bound=PreviewBound(matching=7, seconds=60)
    )
    assert (capped["matching"], capped["scanned"], capped["complete"]) == (10, 10, False)
    timed = service.preview_criteria(
        criteria, batch_size=5, bound=PreviewBound(matching=1000, seconds=0)
    )
    assert (timed["scanned"], timed["complete"]) == (5, False)
    whole = service.preview_criteria(criteria, batch_size=5, bound=PreviewBound())
    assert (whole["matching"], whole["complete"]) == (20, True)
    assert "complete" not in service.preview_criteria(criteria)  # the CLI's: unchanged

    monkeypatch.setattr(rule_routes, "PREVIEW_BOUND", PreviewBound(matching=3, seconds=60))
    monkeypatch.setattr(rule_routes, "PREVIEW_BATCH", 5)
    form = _rule_form("Hot", criteria, [("adjust_score", "1", "")])
    shown = web("marketing").post("/rules/preview", data=form).text
    assert re.search(
        r'id="preview-matching">5\+</strong> prospects match now, among the first 5', shown
    )
    assert 'id="preview-bounded"' in shown


def test_run_now_shows_its_progress_and_is_not_started_twice(
    web: Web, console_db: Database
) -> None:
    _prospects(console_db, 60, 70)
    client = web("marketing")
    criteria = [{"field": "score", "op": "greater", "value": 50}]
    rule_url = client.post(
        "/rules/new", data=_rule_form("Hot", criteria, [("adjust_score", "1", "")])
    ).headers["location"]
    rule_id = int(rule_url.rsplit("/", 1)[1])
    assert 'id="rule-run"' not in client.get(rule_url).text  # never run: nothing shown
    runs = rule_runs(client.app)  # type: ignore[arg-type]
    assert runs.start(rule_id, datetime.now(UTC))  # as if a run were going
    runs.update(rule_id, prospects=500, total=2000, matched=42)
    page = client.get(rule_url).text
    assert 'Running now; <strong id="run-matched">42</strong> matched so far' in page
    assert "500 of 2,000 prospects, 25%" in page
    assert f'hx-get="/rules/{rule_id}/run" hx-trigger="every 1s"' in page
    again = client.post(f"{rule_url}/run")
    assert "It is running already" in client.get(again.headers["location"]).text
    assert runs.latest(rule_id) is not None and runs.latest(rule_id).matched == 42  # type: ignore[union-attr]
    runs.update(rule_id, finished=True, prospects=2000, matched=99, fired=98)
    done = client.get(f"{rule_url}/run").text
    assert "Ran over 2,000 prospects:" in done and "hx-trigger" not in done
