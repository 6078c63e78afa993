"""Audit entries in words on both pages that show them (Insight's history and the Audit log):
an assignment names the user, not the id it stores; a field shows its label; the names of
all the users on a page are read in one query, however many there are."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, update

from leadbridge.domain.fields import FieldType, Origin
from leadbridge.ports import SystemClock
from leadbridge.store import ProspectRepository
from leadbridge.store.custom_fields import CustomFieldRepository
from leadbridge.store.database import Database
from leadbridge.store.models import AuditRow
from leadbridge.store.users import UserRepository
from tests.console import WebClient

Web = Callable[..., WebClient]


def add_people(db: Database, count: int, first: int = 0) -> list[int]:
    with db.session() as session:
        users = UserRepository(session)
        numbers = range(first, first + count)
        return [users.add(f"rep{n}@example.com", f"Rep Number{n}", "sales").id for n in numbers]


def assign_in_turn(db: Database, prospect_id: int, user_ids: list[int | None]) -> None:
    with db.session() as session:
        prospects = ProspectRepository(session, SystemClock())
        for user_id in user_ids:
            prospects.assign(prospect_id, user_id, origin=Origin.USER, actor="ann@example.com")


@pytest.fixture
def prospect(console_db: Database) -> int:
    with console_db.session() as session:
        prospects = ProspectRepository(session, SystemClock())
        return prospects.add({"email": "ada@example.com"}, origin=Origin.USER, actor=None).id


@contextmanager
def user_queries(db: Database) -> Iterator[list[str]]:
    """The SQL statements that read the users table while the block runs."""
    seen: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if re.search(r"\bFROM users\b", statement):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)


@pytest.mark.parametrize("url", ["/prospects/{id}", "/audit"])
def test_an_assignment_names_the_users(
    web: Web, console_db: Database, prospect: int, url: str
) -> None:
    first, second = add_people(console_db, 2)
    assign_in_turn(console_db, prospect, [first, second, None])
    page = web("admin").get(url.format(id=prospect))
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.text)
    assert "Assigned user" in text
    assert re.search(r"\(blank\)\s*→\s*Rep Number0", text)
    assert re.search(r"Rep Number0\s*→\s*Rep Number1", text)
    assert re.search(r"Rep Number1\s*→\s*\(blank\)", text)
    assert not re.search(rf"→\s*{first}\b", text)


@pytest.mark.parametrize("url", ["/prospects/{id}", "/audit"])
def test_fields_show_their_labels(web: Web, console_db: Database, prospect: int, url: str) -> None:
    with console_db.session() as session:
        CustomFieldRepository(session).add("shoe_size", "Shoe size", FieldType.NUMBER, [], None)
        ProspectRepository(session, SystemClock()).update(
            prospect, {"job_title": "Countess", "shoe_size": 38}, origin=Origin.USER, actor="t"
        )
    text = re.sub(r"<[^>]+>", "", web("admin").get(url.format(id=prospect)).text)
    assert "Job Title" in text and "Shoe size" in text
    assert "In the recycle bin" not in text  # only the fields that changed


@pytest.mark.parametrize("url", ["/prospects/{id}", "/audit"])
def test_user_names_are_read_in_one_query(
    web: Web, console_db: Database, prospect: int, url: str
) -> None:
    client = web("admin")
    few = add_people(console_db, 2)
    assign_in_turn(console_db, prospect, [*few])
    with user_queries(console_db) as with_few:
        assert client.get(url.format(id=prospect)).status_code == 200
    many = add_people(console_db, 8, first=2)
    assign_in_turn(console_db, prospect, [*many])
    with user_queries(console_db) as with_many:
        assert client.get(url.format(id=prospect)).status_code == 200
    assert "Rep Number9" in client.get(url.format(id=prospect)).text
    assert len(with_many) == len(with_few)


def test_a_user_gone_is_said_so(web: Web, console_db: Database, prospect: int) -> None:
    assign_in_turn(console_db, prospect, add_people(console_db, 1))
    with console_db.session() as session:
        session.execute(
            update(AuditRow).where(AuditRow.field == "assigned_user_id").values(new_value="987654")
        )
    text = web("admin").get("/audit").text
    assert "user 987654 (no longer exists)" in text
