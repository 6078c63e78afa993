"""The Prospects pages through the app: search, filters, keyset pages, bulk actions, editing,
and who sees what (sales users only their own prospects; anything else is 404 to them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store import prospect_search
from leadbridge.store.database import Database
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.sync_errors import SyncErrorRepository
from tests.console import WebClient

Web = Callable[..., WebClient]


class StepClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def add(db: Database, email: str, **values: Any) -> int:
    with db.session() as session:
        prospect = ProspectRepository(session, StepClock()).add(
            {"email": email, **values}, origin=Origin.USER, actor="test"
        )
        return prospect.id


def emails(page: str) -> list[str]:
    return re.findall(r'<a href="/prospects/\d+">([^<]+)</a>', page)


@pytest.fixture
def people(console_db: Database) -> dict[str, int]:
    clock = StepClock()
    found = {}
    with console_db.session() as session:
        repo = ProspectRepository(session, clock)
        for email, first, last, company in (
            ("ada@analytical.example", "Ada", "Lovelace", "Analytical Engines"),
            ("grace@navy.example", "Grace", "Hopper", "US Navy"),
            ("alan@bletchley.example", "Alan", "Turing", "Bletchley Park"),
            ("barbara@mit.example", "Barbara", "Liskov", "MIT"),
        ):
            values = {"email": email, "first_name": first, "last_name": last, "company": company}
            found[first.lower()] = repo.add(values, origin=Origin.USER, actor="t").id
    return found


def test_search_by_email_name_and_company_prefix(web: Web, people: dict[str, int]) -> None:
    client = web("marketing")
    assert emails(client.get("/prospects?q=ada@").text) == ["ada@analytical.example"]
    assert emails(client.get("/prospects?q=hopp").text) == ["grace@navy.example"]
    assert emails(client.get("/prospects?q=BLETCH").text) == ["alan@bletchley.example"]
    assert emails(client.get("/prospects?q=barb").text) == ["barbara@mit.example"]
    page = client.get("/prospects?q=zzz").text
    assert emails(page) == []
    assert "No prospect\u2019s email, name or company starts with \u201czzz\u201d" in page
    assert "1 match" in client.get("/prospects?q=mit").text
    # a prefix, not a substring; LIKE wildcards are taken literally
    assert emails(client.get("/prospects?q=ovelace").text) == []
    assert emails(client.get("/prospects?q=%25").text) == []
    assert emails(client.get("/prospects?q=a_a").text) == []


def test_htmx_search_returns_only_the_results(web: Web, people: dict[str, int]) -> None:
    client = web("marketing")
    response = client.get(
        "/prospects?q=grace", headers={"HX-Request": "true", "HX-Target": "prospect-results"}
    )
    assert response.text.lstrip().startswith('<div id="prospect-results"')
    assert emails(response.text) == ["grace@navy.example"]
    assert "<html" not in response.text


def test_every_filter(web: Web, console_db: Database, people: dict[str, int]) -> None:
    client = web("marketing")
    sales = web("sales")
    clock = SystemClock()
    with console_db.session() as session:
        repo = ProspectRepository(session, clock)
        repo.assign(people["ada"], sales.user_id, origin=Origin.USER, actor="t")
        repo.link_crm(people["grace"], lead_id="00Q000000000001AAA")
        repo.recycle(people["alan"], origin=Origin.USER, actor="t")
        repo.recycle(people["barbara"], origin=Origin.SALESFORCE, actor=None, deleted_in_crm=True)
        SyncErrorRepository(session, clock).record(
            people["grace"],
            error_code="REQUIRED_FIELD_MISSING",
            message="Company is required",
            crm_object="Lead",
        )
    all_live = {"ada@analytical.example", "grace@navy.example"}
    assert set(emails(client.get("/prospects").text)) == all_live
    assert emails(client.get(f"/prospects?assigned={sales.user_id}").text) == [
        "ada@analytical.example"
    ]
    assert emails(client.get("/prospects?assigned=none").text) == ["grace@navy.example"]
    assert emails(client.get("/prospects?crm=yes").text) == ["grace@navy.example"]
    assert emails(client.get("/prospects?crm=no").text) == ["ada@analytical.example"]
    assert emails(client.get("/prospects?errors=1").text) == ["grace@navy.example"]
    assert set(emails(client.get("/prospects?show=bin").text)) == {
        "alan@bletchley.example",
        "barbara@mit.example",
    }
    assert emails(client.get("/prospects?show=deleted").text) == ["barbara@mit.example"]
    assert client.get("/prospects?show=everything").status_code == 422
    assert client.get("/prospects?assigned=abc").status_code == 422


def test_keyset_pages_walk_every_prospect_once(web: Web, console_db: Database) -> None:
    with console_db.session() as session:
        ProspectRepository(session, StepClock()).bulk_insert(
            ({"email": f"p{n:03}@example.com"} for n in range(120)), origin=Origin.IMPORT
        )
    client = web("marketing")
    for sort in ("updated", "created", "email"):
        seen: list[str] = []
        url: str | None = f"/prospects?sort={sort}"
        while url:
            page = client.get(url).text
            seen.extend(emails(page))
            found = re.search(r'href="([^"]+)" rel="next"', page)
            url = found.group(1).replace("&amp;", "&") if found else None
            assert "OFFSET" not in (url or "")
        assert sorted(seen) == [f"p{n:03}@example.com" for n in range(120)], sort
        if sort == "email":
            assert seen == sorted(seen)
    assert client.get("/prospects?after=nonsense").status_code == 400
    assert client.get("/prospects?after=not-a-date~12").status_code == 400


def test_a_search_pages_its_matches_in_every_order_with_filters(
    web: Web, console_db: Database
) -> None:
    """A narrow search (read with its sort key in one pass) pages like the plain list: each
    match once, in order, the count "from here on" after the first page, filters applied."""
    with console_db.session() as session:
        repo = ProspectRepository(session, StepClock())
        repo.bulk_insert(
            ({"email": f"p{n:03}@example.com", "last_name": f"Pager{n}"} for n in range(120)),
            origin=Origin.IMPORT,
        )
        repo.bulk_insert(
            ({"email": f"q{n:03}@example.com"} for n in range(5)), origin=Origin.IMPORT
        )
    client = web("marketing")
    for sort in ("updated", "created", "email"):
        seen: list[str] = []
        url: str | None = f"/prospects?q=p0&sort={sort}"
        counts = []
        while url:
            page = client.get(url).text
            seen.extend(emails(page))
            counts.append(re.search(r"([\d,]+) match", page).group(1))  # type: ignore[union-attr]
            found = re.search(r'href="([^"]+)" rel="next"', page)
            url = found.group(1).replace("&amp;", "&") if found else None
        assert sorted(seen) == [f"p{n:03}@example.com" for n in range(100)], sort
        assert counts == ["100", "50"], sort
        if sort == "email":
            assert seen == sorted(seen)
    assert len(emails(client.get("/prospects?q=pager1").text)) == 31  # 1, 10-19, 100-119
    assert emails(client.get("/prospects?q=pager1&assigned=none&crm=yes").text) == []
    assert len(emails(client.get("/prospects?q=pager1&crm=no").text)) == 31


def walk(client: WebClient, url: str) -> list[str]:
    """Every email the list shows from `url` on, following its "next" links."""
    seen: list[str] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url).text
        seen.extend(emails(page))
        found = re.search(r'href="([^"]+)" rel="next"', page)
        next_url = found.group(1).replace("&amp;", "&") if found else None
    return seen


def test_few_and_many_matches_list_the_same_pages(
    web: Web, console_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searches and the open-errors filter take one plan when they find few prospects (looked
    up by id) and another when many (the sort index walked): both list the same pages."""
    with console_db.session() as session:
        ProspectRepository(session, StepClock()).bulk_insert(
            ({"email": f"p{n:03}@example.com"} for n in range(120)), origin=Origin.IMPORT
        )
        ids = session.scalars(select(ProspectRow.id).order_by(ProspectRow.email)).all()
        errors = SyncErrorRepository(session, SystemClock())
        for n, prospect_id in enumerate(ids):
            if n % 2 == 0 or n % 3 == 0:
                errors.record(prospect_id, error_code="E", message="m", crm_object="Lead")
            if n % 3 == 0:
                errors.resolve_for_prospect(prospect_id)
    client = web("marketing")
    urls = [f"/prospects?{query}&sort={sort}" for query in ("errors=1", "q=p", "q=p&errors=1")
            for sort in ("updated", "created", "email")]  # fmt: skip
    few = {url: walk(client, url) for url in urls}
    monkeypatch.setattr(prospect_search, "NARROW", 5)
    assert {url: walk(client, url) for url in urls} == few
    with_errors = {f"p{n:03}@example.com" for n in range(120) if n % 2 == 0 and n % 3 != 0}
    assert sorted(few["/prospects?errors=1&sort=email"]) == sorted(with_errors)
    assert few["/prospects?q=p&errors=1&sort=email"] == sorted(with_errors)
    assert len(few["/prospects?q=p&sort=created"]) == 120


def test_bulk_assign_delete_and_sync_need_their_permissions(
    web: Web, console_db: Database, people: dict[str, int]
) -> None:
    marketing = web("marketing")
    sales = web("sales")
    ids = [people["ada"], people["grace"]]
    response = marketing.post(
        "/prospects/bulk",
        data={"action": "assign", "ids": ids, "user_id": str(sales.user_id), "back": "/prospects"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/prospects"
    assert set(emails(sales.get("/prospects").text)) == {
        "ada@analytical.example",
        "grace@navy.example",
    }
    # the sales user may not assign or delete, even their own
    for action in ("assign", "delete"):
        refused = sales.post("/prospects/bulk", data={"action": action, "ids": ids})
        assert refused.status_code == 403
    # sync goes through the gateway; without a Salesforce connection it says so
    no_gateway = sales.post("/prospects/bulk", data={"action": "sync", "ids": ids})
    assert no_gateway.status_code == 400
    assert "no Salesforce connection" in no_gateway.text
    deleted = marketing.post(
        "/prospects/bulk",
        data={"action": "delete", "ids": [people["ada"]], "back": "https://evil.example/"},
    )
    assert deleted.headers["location"] == "/prospects"
    assert "ada@analytical.example" in marketing.get("/prospects?show=bin").text
    assert marketing.post("/prospects/bulk", data={"action": "nuke", "ids": ids}).status_code == 422
    missing = marketing.post("/prospects/bulk", data={"action": "delete", "ids": [99999]})
    assert missing.status_code == 404


def test_bulk_sync_calls_the_gateway_with_the_visible_ids(web: Web, people: dict[str, int]) -> None:
    client = web("marketing")
    calls: list[list[int]] = []

    class Gateway:
        def sync_prospects(self, ids: list[int]) -> dict[str, Any]:
            calls.append(ids)
            return {"pushed": len(ids), "skipped_by_reason": {}, "errors": 0}

    client.app.state.console_gateway = Gateway()  # type: ignore[attr-defined]
    ids = [people["grace"], people["ada"]]
    response = client.post("/prospects/bulk", data={"action": "sync", "ids": ids})
    assert response.status_code == 303
    assert calls == [sorted(ids)]
    assert "2 of 2 in sync with Salesforce" in client.get("/prospects").text


def test_edit_validates_each_field(web: Web, people: dict[str, int]) -> None:
    client = web("marketing")
    url = f"/prospects/{people['ada']}"
    bad = client.post(url, data={"email": "not an email", "score": "lots", "first_name": "Ada"})
    assert bad.status_code == 422
    assert re.search(r'id="email-error">[^<]+', bad.text)
    assert re.search(r'id="score-error">[^<]+', bad.text)
    assert 'value="lots"' in bad.text
    taken = client.post(url, data={"email": "grace@navy.example"})
    assert taken.status_code == 422
    assert 'id="email-error"' in taken.text
    good = client.post(url, data={"email": "ada@analytical.example", "job_title": "Countess"})
    assert good.status_code == 303
    page = client.get(url).text
    assert "Countess" in page
    assert "job_title" in page  # audit row
    assert "marketing@console.example.com" in page


def test_sales_users_see_only_their_prospects(
    web: Web, console_db: Database, people: dict[str, int]
) -> None:
    sales = web("sales")
    with console_db.session() as session:
        ProspectRepository(session, SystemClock()).assign(
            people["ada"], sales.user_id, origin=Origin.USER, actor="t"
        )
    assert emails(sales.get("/prospects").text) == ["ada@analytical.example"]
    assert emails(sales.get("/prospects?q=grace").text) == []
    assert emails(sales.get("/prospects?assigned=none").text) == ["ada@analytical.example"]
    assert sales.get(f"/prospects/{people['ada']}").status_code == 200
    other = people["grace"]
    assert sales.get(f"/prospects/{other}").status_code == 404
    assert sales.post(f"/prospects/{other}/sync").status_code == 404
    assert sales.post("/prospects/bulk", data={"action": "sync", "ids": [other]}).status_code == 404
    assert sales.post(f"/prospects/{people['ada']}", data={"city": "London"}).status_code == 403
    assert "Save changes" not in sales.get(f"/prospects/{people['ada']}").text


def test_sales_manager_assigns_but_does_not_edit(web: Web, people: dict[str, int]) -> None:
    manager = web("sales_manager")
    sales = web("sales")
    url = f"/prospects/{people['grace']}"
    page = manager.get(url).text
    assert "Save changes" not in page and 'action="/prospects/' in page
    assert manager.post(url, data={"city": "Arlington"}).status_code == 403
    assigned = manager.post(f"{url}/assign", data={"user_id": str(sales.user_id)})
    assert assigned.status_code == 303
    assert "sales@console.example.com" in manager.get(url).text
    assert manager.post(f"{url}/assign", data={"user_id": "99999"}).status_code == 404


def test_insight_shows_why_audit_and_huge_ids_are_clear_errors(
    web: Web, people: dict[str, int]
) -> None:
    client = web("admin")
    page = client.get(f"/prospects/{people['ada']}").text
    assert "Sync status" in page and "Verdict:" in page
    assert "not syncing" in page  # unassigned, no connector: the words of `leadbridge why`
    assert "Audit history" in page and "created" in page
    assert f"/sync-errors?prospect={people['ada']}" in page
    assert client.get("/prospects/99999999999999").status_code == 422
    assert client.get("/prospects/12345").status_code == 404
    assert client.get("/prospects/%D9%A3").status_code == 422
