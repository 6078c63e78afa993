"""User group use cases for the CLI: groups of users that prospects are assigned to in turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadbridge.errors import InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.groups import UserGroup, UserGroupRepository
from leadbridge.store.users import UserRepository


class GroupService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add(self, name: str, member_emails: Sequence[str]) -> dict[str, Any]:
        """A group with these users, in this round-robin order."""
        if not member_emails:
            raise InputError("give one or more members (--member EMAIL)", item="members")
        with self.db.session() as session:
            users = UserRepository(session)
            user_ids = []
            for email in member_emails:
                user = users.by_email(email)
                if user is None:
                    raise NotFoundError(f"no leadbridge user with the email {email!r}")
                user_ids.append(user.id)
            group = UserGroupRepository(session, self.clock).add(name, user_ids)
            return group_json(group)

    def add_member(self, name: str, email: str) -> dict[str, Any]:
        with self.db.session() as session:
            groups = UserGroupRepository(session, self.clock)
            group = groups.by_name(name)
            if group is None:
                raise NotFoundError(f"no user group named {name!r}")
            user = UserRepository(session).by_email(email)
            if user is None:
                raise NotFoundError(f"no leadbridge user with the email {email!r}")
            return group_json(groups.add_member(group.id, user.id))

    def list(self) -> list[dict[str, Any]]:
        with self.db.session(readonly=True) as session:
            return [group_json(group) for group in UserGroupRepository(session, self.clock).list()]


def group_json(group: UserGroup) -> dict[str, Any]:
    following = group.next_member
    return {
        "id": group.id,
        "name": group.name,
        "members": [
            {"email": member.email, "name": member.name, "active": member.active}
            for member in group.members
        ],
        "next": None if following is None else following.email,
    }
