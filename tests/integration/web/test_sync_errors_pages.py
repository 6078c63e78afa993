"""The Sync Errors page: counts, filters, keyset pages, retry (selected, all of a filter),
formula-safe CSV export, and who may see it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest

from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store import ProspectRepository
from leadbridge.store.database import Database
from leadbridge.store.outbox import PUSH
from leadbridge.store.sync_errors import SyncErrorRepository
from leadbridge.store.users import UserRepository
from tests.console import WebClient

Web = Callable[..., WebClient]


def add_prospect(db: Database, email: str, *, assigned: bool = True) -> int:
    clock = SystemClock()
    with db.session() as session:
        users = UserRepository(session)
        owner = users.by_email("owner@example.com") or users.add(
            "owner@example.com", "Owner", "sales"
        )
        prospects = ProspectRepository(session, clock)
        prospect = prospects.add({"email": email}, origin=Origin.USER, actor=None)
        if assigned:
            prospects.assign(prospect.id, owner.id, origin=Origin.USER, actor=None)
        return prospect.id


def add_error(
    db: Database, prospect_id: int | None, code: str, message: str, obj: str = "Lead"
) -> int:
    with db.session() as session:
        error = SyncErrorRepository(session, SystemClock()).record(
            prospect_id, error_code=code, message=message, crm_object=obj, fields=["Email"]
        )
        return error.id


def clear_pushes(db: Database) -> None:
    """Mark the outbox done, as if the pushes queued by assignment had run."""
    from sqlalchemy import update

    from leadbridge.store.models import OutboxRow

    with db.session() as session:
        session.execute(update(OutboxRow).values(done_at=SystemClock().now()))


def pending_pushes(db: Database) -> list[int]:
    from sqlalchemy import select

    from leadbridge.store.models import OutboxRow

    with db.session(readonly=True) as session:
        query = select(OutboxRow.prospect_id).where(
            OutboxRow.kind == PUSH, OutboxRow.done_at.is_(None)
        )
        return sorted(pid for pid in session.scalars(query) if pid is not None)


@pytest.fixture
def seeded(console_db: Database) -> dict[str, int]:
    ada = add_prospect(console_db, "ada@example.com")
    bob = add_prospect(console_db, "bob@example.com")
    eve = add_prospect(console_db, "eve@example.com")
    ids = {
        "ada": add_error(console_db, ada, "INVALID_EMAIL_ADDRESS", "Email: invalid email address"),
        "bob": add_error(console_db, bob, "DUPLICATES_DETECTED", "Use one of these records?"),
        "eve": add_error(console_db, eve, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "=HYPERLINK(1)"),
        "eve_contact": add_error(console_db, eve, "INVALID_EMAIL_ADDRESS", "bad", obj="Contact"),
    }
    clear_pushes(console_db)
    return {"ada_p": ada, "bob_p": bob, "eve_p": eve, **ids}


def row_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="error-(\d+)"', html)]


def test_counts_by_kind_and_code_and_the_table(web: Web, seeded: dict[str, int]) -> None:
    page = web("marketing").get("/sync-errors")
    assert page.status_code == 200
    assert re.search(r"id=\"open-total\">4<", page.text)
    assert 'href="?kind=data"' in page.text and 'href="?kind=duplicate"' in page.text
    assert re.search(r"INVALID_EMAIL_ADDRESS</span> <span class=\"badge\">2<", page.text)
    assert sorted(row_ids(page.text)) == sorted(
        seeded[k] for k in ("ada", "bob", "eve", "eve_contact")
    )
    assert f'href="/prospects/{seeded["ada_p"]}">ada@example.com</a>' in page.text
    assert "correct the prospect&#39;s data" in page.text  # the fix, in plain words


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=duplicate", ["bob"]),
        ("code=INVALID_EMAIL_ADDRESS", ["ada", "eve_contact"]),
        ("object=Contact", ["eve_contact"]),
        ("email=EVE", ["eve", "eve_contact"]),
        ("kind=data&object=Lead", ["ada", "eve"]),
        ("state=resolved", []),
    ],
)
def test_filters(web: Web, seeded: dict[str, int], query: str, expected: list[str]) -> None:
    page = web("marketing").get(f"/sync-errors?{query}")
    assert page.status_code == 200
    assert sorted(row_ids(page.text)) == sorted(seeded[name] for name in expected)


def test_the_prospect_filter_other_pages_link_to(web: Web, seeded: dict[str, int]) -> None:
    page = web("marketing").get(f"/sync-errors?kind=data&prospect={seeded['eve_p']}")
    assert sorted(row_ids(page.text)) == sorted([seeded["eve"], seeded["eve_contact"]])


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("kind=nonsense", "kind", "is not a kind of error"),
        ("prospect=99999999999999999999", "prospect", "is not a prospect id"),
        ("prospect=%D9%A3", "prospect", "is not a prospect id"),
        ("state=maybe", "state", "must be one of"),
    ],
)
def test_bad_filters_are_a_clear_422(
    web: Web, seeded: dict[str, int], query: str, field: str, words: str
) -> None:
    page = web("marketing").get(f"/sync-errors?{query}")
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text and words in page.text


def test_a_bad_page_cursor_is_a_clear_422(web: Web, seeded: dict[str, int]) -> None:
    page = web("marketing").get("/sync-errors?after=nonsense")
    assert page.status_code == 422
    assert "That page of the list no longer exists" in page.text


def test_keyset_pages_cover_every_error_once(web: Web, console_db: Database) -> None:
    prospect = add_prospect(console_db, "many@example.com")
    made = {add_error(console_db, prospect, f"CODE_{n}", f"message {n}") for n in range(120)}
    client = web("admin")
    seen: list[int] = []
    url: str | None = "/sync-errors"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += row_ids(page.text)
        found = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', page.text)
        url = "/sync-errors" + found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(made) and set(seen) == made


def test_retry_selected_queues_their_prospects(
    web: Web, console_db: Database, seeded: dict[str, int]
) -> None:
    client = web("marketing")
    answer = client.post(
        "/sync-errors/retry",
        data={"ids": [str(seeded["ada"]), str(seeded["bob"])], "scope": "selected"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sync-errors"
    assert pending_pushes(console_db) == sorted([seeded["ada_p"], seeded["bob_p"]])
    page = client.get("/sync-errors")
    assert "2 errors queued for retry (2 prospect pushes)" in page.text
    assert page.text.count("Retry queued") == 2


def test_retry_all_matching_keeps_the_filter(
    web: Web, console_db: Database, seeded: dict[str, int]
) -> None:
    client = web("marketing")
    answer = client.post(
        "/sync-errors/retry", data={"scope": "all", "code": "INVALID_EMAIL_ADDRESS"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sync-errors?code=INVALID_EMAIL_ADDRESS"
    assert pending_pushes(console_db) == sorted([seeded["ada_p"], seeded["eve_p"]])
    page = client.get(answer.headers["location"])
    assert "2 errors queued for retry (2 prospect pushes)" in page.text


def test_retry_says_why_an_error_is_skipped(web: Web, console_db: Database) -> None:
    loose = add_prospect(console_db, "loose@example.com", assigned=False)
    error = add_error(console_db, loose, "INVALID_EMAIL_ADDRESS", "bad")
    client = web("marketing")
    client.post("/sync-errors/retry", data={"ids": [str(error)]})
    page = client.get("/sync-errors")
    assert "Nothing was queued. 1 skipped" in page.text
    assert "loose@example.com is not assigned to a user" in page.text
    assert pending_pushes(console_db) == []


def test_export_is_the_filter_and_formula_safe(web: Web, seeded: dict[str, int]) -> None:
    answer = web("marketing").get("/sync-errors/export.csv?kind=data")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted(int(row["id"]) for row in rows) == sorted(
        [seeded["ada"], seeded["eve"], seeded["eve_contact"]]
    )
    eve = next(row for row in rows if int(row["id"]) == seeded["eve"])
    assert eve["message"] == "'=HYPERLINK(1)"
    assert eve["prospect_email"] == "eve@example.com"


@pytest.mark.parametrize("role", ["sales", "sales_manager"])
def test_sales_roles_get_403(web: Web, seeded: dict[str, int], role: str) -> None:
    client = web(role)
    assert client.get("/sync-errors").status_code == 403
    assert client.get("/sync-errors/export.csv").status_code == 403
    assert client.post("/sync-errors/retry", data={"scope": "all"}).status_code == 403


def test_the_menu_shows_sync_errors_to_marketing_only(web: Web) -> None:
    assert 'href="/sync-errors"' in web("marketing").get("/account").text
    assert 'href="/sync-errors"' not in web("sales").get("/account").text
