from __future__ import annotations

import pytest

from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store import Database, UserRepository, UserRole


def test_add_get_and_find_by_email_in_any_case(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        added = users.add(" Ada@Example.com ", "Ada Lovelace", role="admin")
        assert added.email == "Ada@Example.com"
        assert added.role is UserRole.ADMIN
        assert users.get(added.id) == added
        assert users.by_email("ada@EXAMPLE.com") == added
        assert users.by_email("nobody@example.com") is None


def test_email_is_unique_case_insensitively(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        users.add("ada@example.com", "Ada")
        with pytest.raises(ConflictError, match=r"ada@example\.com already exists"):
            users.add("ADA@example.com", "Other Ada")


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b"])
def test_bad_email_is_an_input_error(db: Database, email: str) -> None:
    with db.session() as session, pytest.raises(InputError):
        UserRepository(session).add(email, "X")


def test_bad_role_is_an_input_error(db: Database) -> None:
    with db.session() as session, pytest.raises(InputError, match="admin, marketing, sales"):
        UserRepository(session).add("a@example.com", "A", role="boss")


def test_get_unknown_user_is_not_found(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFoundError):
        UserRepository(session).get(999)


def test_list_is_ordered_by_email_and_can_skip_inactive(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        users.add("b@example.com", "B")
        users.add("a@example.com", "A", active=False)
        assert [u.email for u in users.list()] == ["a@example.com", "b@example.com"]
        assert [u.email for u in users.list(active_only=True)] == ["b@example.com"]


def test_map_crm_user_one_to_one(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        ada = users.add("ada@example.com", "Ada")
        bob = users.add("bob@example.com", "Bob")
        mapped = users.map_crm_user(ada.id, "005000000000001AAA", "Ada@Org.example")
        assert (mapped.crm_user_id, mapped.crm_username) == (
            "005000000000001AAA",
            "ada@org.example",
        )
        assert users.by_crm_user_id("005000000000001AAA") == mapped
        assert users.by_crm_username("ADA@org.example") == mapped
        with pytest.raises(ConflictError, match=r"already mapped to ada@example\.com"):
            users.map_crm_user(bob.id, "005000000000001AAA", "ada@org.example")
        with pytest.raises(ConflictError, match=r"already mapped to ada@example\.com"):
            users.map_crm_user(bob.id, "005000000000009AAA", "ada@org.example")
        remapped = users.map_crm_user(ada.id, "005000000000002AAA", "ada2@org.example")
        assert remapped.crm_user_id == "005000000000002AAA"
        assert users.by_crm_user_id("005000000000001AAA") is None


def test_unmap_frees_the_crm_user(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        ada = users.add("ada@example.com", "Ada")
        bob = users.add("bob@example.com", "Bob")
        users.map_crm_user(ada.id, "005000000000001AAA", "ada@org.example")
        assert users.unmap(ada.id).crm_user_id is None
        assert users.map_crm_user(bob.id, "005000000000001AAA", "ada@org.example").id == bob.id


def test_mapping_survives_the_session(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        ada = users.add("ada@example.com", "Ada")
        users.map_crm_user(ada.id, "005000000000001AAA", "ada@org.example")
    with db.session() as session:
        found = UserRepository(session).by_email("ada@example.com")
    assert found is not None and found.crm_username == "ada@org.example"


def test_set_active_and_update(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        ada = users.add("ada@example.com", "Ada")
        assert users.set_active(ada.id, False).active is False
        assert users.update(ada.id, name="Ada L.", role="sales").role is UserRole.SALES
