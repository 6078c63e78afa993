"""The CLI's quick reads (sqlite3 alone) answer exactly what the full path answers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text

from leadbridge.errors import InputError, NotFoundError
from leadbridge.marketing.prospects import ProspectService
from leadbridge.store import Database, open_database
from leadbridge.store.quick_reads import ProspectLine, open_reader, prospect_page
from leadbridge.store.users import UserRepository
from tests.integration.store.support import FakeClock


@pytest.fixture
def sqlite_file(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "leadbridge.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def home(sqlite_file: Path) -> Iterator[Database]:
    """Prospects in every state a listing shows: linked to a contact or a lead, waiting,
    unassigned, not to sync, recycled; two users."""
    db = open_database(f"sqlite:///{sqlite_file}")
    clock = FakeClock()
    with db.session() as session:
        users = UserRepository(session)
        users.add("Ada@Example.com", "Ada")
        users.add("bob@example.com", "Bob")
    service = ProspectService(db, clock)
    for number in range(12):
        service.add(
            {
                "email": f"p{number}@example.com",
                "first_name": None if number % 4 == 0 else f"First{number}",
                "last_name": f"Last{number}" if number % 3 else None,
                "company": f"Co {number}" if number % 2 else None,
            }
        )
    for number in (1, 2, 3, 7):
        service.assign(f"p{number}@example.com", "ada@example.com")
    service.assign("p5@example.com", "bob@example.com")
    with db.session() as session:
        for column, value, email in (
            ("crm_contact_id", "'003000000000001AAA'", "p2@example.com"),
            ("crm_lead_id", "'00Q000000000001AAA'", "p3@example.com"),
            ("do_not_sync", "1", "p4@example.com"),
            ("do_not_sync", "1", "p8@example.com"),
        ):
            session.execute(
                text(f"UPDATE prospects SET {column} = {value} WHERE email = :email"),
                {"email": email},
            )
    service.delete("p9@example.com")
    service.delete("p7@example.com")
    yield db
    db.dispose()


def _full(db: Database, **query: Any) -> list[ProspectLine]:
    rows = ProspectService(db, FakeClock()).list(**query)
    return [ProspectLine.of(row) for row in rows]


QUERIES = [
    {"limit": 50, "after_id": None, "recycled": False, "assigned_to": None},
    {"limit": 3, "after_id": None, "recycled": False, "assigned_to": None},
    {"limit": 3, "after_id": 4, "recycled": False, "assigned_to": None},
    {"limit": 50, "after_id": -5, "recycled": False, "assigned_to": None},
    {"limit": 50, "after_id": None, "recycled": True, "assigned_to": None},
    {"limit": 50, "after_id": None, "recycled": False, "assigned_to": " ADA@example.COM "},
    {"limit": 1, "after_id": 2, "recycled": False, "assigned_to": "ada@example.com"},
    {"limit": 50, "after_id": None, "recycled": True, "assigned_to": "ada@example.com"},
    {"limit": 50, "after_id": 1000, "recycled": False, "assigned_to": None},
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_page_is_what_the_full_path_answers(
    home: Database, sqlite_file: Path, query: dict[str, Any]
) -> None:
    expected = _full(home, **query)
    reader = open_reader(f"sqlite:///{sqlite_file}")
    assert reader is not None
    with closing(reader):
        assert prospect_page(reader, **query) == expected


def test_the_page_covers_every_state(home: Database, sqlite_file: Path) -> None:
    reader = open_reader(f"sqlite:///{sqlite_file}")
    assert reader is not None
    with closing(reader):
        lines = {line.email: line for line in prospect_page(reader, **QUERIES[0])}
    assert "p9@example.com" not in lines  # recycled
    assert lines["p2@example.com"].crm_link == "Contact 003000000000001AAA"
    assert lines["p3@example.com"].crm_link == "Lead 00Q000000000001AAA"
    assert lines["p1@example.com"].crm_link == "waiting for its first sync"
    assert lines["p4@example.com"].crm_link == "not synced (do not sync with CRM)"
    assert lines["p0@example.com"].crm_link.startswith("not in Salesforce")
    assert lines["p5@example.com"].assigned_user == "bob@example.com"
    assert lines["p1@example.com"].assigned_user == "Ada@Example.com"


def test_an_unknown_user_and_a_bad_limit_are_the_same_errors(
    home: Database, sqlite_file: Path
) -> None:
    reader = open_reader(f"sqlite:///{sqlite_file}")
    assert reader is not None
    with closing(reader):
        for quick, full in (
            ({"limit": 5, "assigned_to": "nobody@example.com"}, NotFoundError),
            ({"limit": 0, "assigned_to": None}, InputError),
            ({"limit": 10_001, "assigned_to": None}, InputError),
        ):
            with pytest.raises(full) as quick_error:
                prospect_page(reader, after_id=None, recycled=False, **quick)
            with pytest.raises(full) as full_error:
                _full(home, after_id=None, recycled=False, **quick)
            assert str(quick_error.value) == str(full_error.value)


def test_only_a_plain_sqlite_file_at_head_is_read_quickly(
    home: Database, sqlite_file: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{sqlite_file}"
    assert open_reader(url) is not None
    assert open_reader(f"sqlite:///{tmp_path / 'missing.sqlite3'}") is None
    assert not (tmp_path / "missing.sqlite3").exists()  # nothing is created
    assert open_reader("sqlite://") is None
    assert open_reader("sqlite:///:memory:") is None
    assert open_reader(f"{url}?timeout=5") is None
    assert open_reader("postgresql+psycopg://leadbridge@127.0.0.1/leadbridge") is None
    with home.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    assert open_reader(url) is None  # an older schema: the full path migrates it


def test_the_quick_reader_cannot_write(home: Database, sqlite_file: Path) -> None:
    import sqlite3

    reader = open_reader(f"sqlite:///{sqlite_file}")
    assert reader is not None
    with closing(reader), pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("DELETE FROM prospects")


def test_a_url_escaped_path_names_the_file_sqlalchemy_opens(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "my home" / "leadbridge.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    reader = open_reader(f"sqlite:///{quote(str(path))}")  # `my%20home`, as in a URL
    assert reader is not None
    reader.close()
