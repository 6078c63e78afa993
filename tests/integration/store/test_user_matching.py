"""Salesforce users are matched to leadbridge users by email, one to one, on both backends."""

from __future__ import annotations

from leadbridge.ports import CrmUser
from leadbridge.store import Database, UserRepository
from leadbridge.store.user_matching import match_crm_users


def crm(number: int, email: str, *, active: bool = True) -> CrmUser:
    user_id = f"0055g00000000{number:02d}AAA"
    return CrmUser(user_id, f"user{number}@org.test", email, f"User {number}", active)


def test_matching_maps_by_email_creates_on_request_and_reports_the_rest(db: Database) -> None:
    with db.session() as session:
        users = UserRepository(session)
        users.add("Known@Example.com", "Known")
        taken = users.add("taken@example.com", "Taken")
        users.map_crm_user(taken.id, "0055g0000000099AAA", "other@org.test")
        first = match_crm_users(
            users,
            [
                crm(1, "known@example.com"),
                crm(2, "new@example.com"),
                crm(3, "taken@example.com"),
                crm(4, "gone@example.com", active=False),
            ],
        )
        assert [u.email for u in first.matched] == ["known@example.com"]
        assert [u.email for u in first.unmatched] == ["new@example.com"]
        assert first.conflicts == [
            "taken@example.com is already mapped to other@org.test; "
            "user3@org.test was left unmapped"
        ]
        assert first.created == first.deactivated == []
        created = match_crm_users(
            users, [crm(1, "known@example.com"), crm(2, "new@example.com")], create=True
        )
        assert [u.email for u in created.already_mapped] == ["known@example.com"]
        assert [u.email for u in created.created] == ["new@example.com"]
        assert users.by_email("new@example.com").crm_username == "user2@org.test"  # type: ignore[union-attr]
        later = match_crm_users(users, [crm(1, "known@example.com", active=False)])
        [(gone, local)] = later.deactivated
        assert (gone.username, local.email) == ("user1@org.test", "Known@Example.com")
        assert users.by_email("known@example.com").crm_user_id == gone.id  # type: ignore[union-attr]
