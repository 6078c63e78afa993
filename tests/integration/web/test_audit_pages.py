"""The Audit log pages: prospect field changes filtered by actor, prospect (id or email),
origin and date, keyset pages; settings changes; clear 422s; who may read them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store import ProspectRepository
from leadbridge.store.database import Database
from leadbridge.store.models import AuditRow, SettingsChangeRow
from tests.console import WebClient

Web = Callable[..., WebClient]


def add(db: Database, email: str, origin: Origin, actor: str | None, **values: str) -> int:
    with db.session() as session:
        prospects = ProspectRepository(session, SystemClock())
        prospect = prospects.add({"email": email}, origin=origin, actor=actor)
        if values:
            prospects.update(prospect.id, values, origin=origin, actor=actor)
        return prospect.id


def entry_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="audit-(\d+)"', html)]


def ids_where(db: Database, *conditions: object) -> list[int]:
    with db.session(readonly=True) as session:
        query = select(AuditRow.id).where(*conditions)  # type: ignore[arg-type]
        return sorted(session.scalars(query))


@pytest.fixture
def log(console_db: Database) -> dict[str, int]:
    ada = add(console_db, "ada@example.com", Origin.USER, "ann@console.example", job_title="=1+1")
    bob = add(console_db, "bob@example.com", Origin.IMPORT, "importer@console.example")
    old = ids_where(console_db, AuditRow.prospect_id == bob)
    with console_db.session() as session:  # bob's entries happened last year
        long_ago = datetime(2025, 6, 1, tzinfo=UTC)
        session.execute(update(AuditRow).where(AuditRow.id.in_(old)).values(at=long_ago))
    return {"ada": ada, "bob": bob}


def test_the_log_shows_changes_newest_first(
    web: Web, console_db: Database, log: dict[str, int]
) -> None:
    page = web("admin").get("/audit")
    assert page.status_code == 200
    shown = entry_ids(page.text)
    assert shown == sorted(ids_where(console_db), reverse=True)
    assert "job_title" in page.text and "=1+1" in page.text
    assert f'href="/prospects/{log["ada"]}">ada@example.com</a>' in page.text


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("actor=ann@console.example", "ada"),
        ("origin=import", "bob"),
        ("prospect=BOB@example.com", "bob"),
        ("prospect={ada}", "ada"),
        ("from=2025-05-31&to=2025-06-01", "bob"),
    ],
)
def test_filters(web: Web, console_db: Database, log: dict[str, int], query: str, who: str) -> None:
    page = web("admin").get("/audit?" + query.format(**log))
    assert page.status_code == 200
    expected = ids_where(console_db, AuditRow.prospect_id == log[who])
    assert sorted(entry_ids(page.text)) == expected


def test_a_date_range_with_nothing_in_it(web: Web, log: dict[str, int]) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    page = web("admin").get(f"/audit?from={tomorrow}")
    assert entry_ids(page.text) == [] and "No changes match this filter." in page.text


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("origin=moon", "origin", "must be one of"),
        ("prospect=nobody", "prospect", "give a prospect id or an email"),
        ("prospect=99999999999999999999", "prospect", "is not an id"),
        ("from=2026-13-01", "from", "is not a date"),
        ("from=2026-02-02&to=2026-02-01", "to", "is before the start date"),
    ],
)
def test_bad_filters_are_a_clear_422(web: Web, query: str, field: str, words: str) -> None:
    page = web("admin").get(f"/audit?{query}")
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text and words in page.text


def test_keyset_pages(web: Web, console_db: Database) -> None:
    for number in range(30):
        add(console_db, f"p{number}@example.com", Origin.API, "script", city="Paris")
    client = web("admin")
    seen: list[int] = []
    url: str | None = "/audit"
    while url:
        page = client.get(url)
        seen += entry_ids(page.text)
        found = re.search(r'href="(\?[^"]*before=\d+)" rel="next"', page.text)
        url = "/audit" + found.group(1).replace("&amp;", "&") if found else None
    assert seen == sorted(ids_where(console_db), reverse=True)
    assert len(seen) > 50


def test_settings_changes_tab(web: Web, console_db: Database) -> None:
    now = datetime.now(UTC)
    with console_db.session() as session:
        for area, field, old, new in (
            ("connector", "poll_seconds", "60", "30"),
            ("fields", "job_title", "salesforce", "leadbridge"),
        ):
            session.add(
                SettingsChangeRow(
                    at=now,
                    actor="admin@console.example.com",
                    area=area,
                    subject=area.title(),
                    field=field,
                    old_value=old,
                    new_value=new,
                )
            )
    client = web("admin")
    page = client.get("/audit/settings")
    assert page.status_code == 200
    assert "poll_seconds" in page.text and "job_title" in page.text
    only = client.get("/audit/settings?area=fields")
    assert "job_title" in only.text and "poll_seconds" not in only.text


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales"])
def test_only_administrators_read_the_audit_log(web: Web, role: str) -> None:
    client = web(role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/settings").status_code == 403
