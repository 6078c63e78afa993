"""User groups: users to assign prospects to in turn (round-robin).

The turn is kept in the database (`user_groups.last_position`), so it survives restarts, and
it is taken under a row lock on the group (`SELECT … FOR UPDATE` on PostgreSQL; SQLite
serialises writers), so concurrent runs hand out members in turn rather than twice the same.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.automation import clean_name
from leadbridge.store.models import UserGroupMemberRow, UserGroupRow, UserRow

MAX_MEMBERS = 1000


@dataclass(frozen=True)
class GroupMember:
    user_id: int
    email: str
    name: str
    active: bool
    position: int


@dataclass(frozen=True)
class UserGroup:
    id: int
    name: str
    members: tuple[GroupMember, ...]  # in round-robin order
    last_position: int | None  # the member assigned last

    @property
    def next_member(self) -> GroupMember | None:
        """Who gets the next prospect (the same choice `UserGroupRepository.take_turn` makes)."""
        return pick_next([m for m in self.members if m.active], self.last_position)


def pick_next(active: Sequence[GroupMember], last_position: int | None) -> GroupMember | None:
    """The first active member after `last_position`, wrapping round; None when none."""
    if not active:
        return None
    if last_position is None:
        return active[0]
    return next((member for member in active if member.position > last_position), active[0])


class UserGroupRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(self, name: str, user_ids: Sequence[int]) -> UserGroup:
        clean = clean_name(name, what="group name")
        if self._id_by_name(clean) is not None:
            raise ConflictError(f"a user group named {clean!r} already exists")
        row = UserGroupRow(name=clean, created_at=self.clock.now())
        self.session.add(row)
        self.session.flush()
        for user_id in dict.fromkeys(user_ids):
            self.add_member(row.id, user_id)
        return self.get(row.id)

    def add_member(self, group_id: int, user_id: int) -> UserGroup:
        """Add a user at the end of the round-robin order (no-op if a member already)."""
        self._check_exists(group_id)
        if self.session.get(UserRow, user_id) is None:
            raise NotFoundError(f"no user with id {user_id}")
        existing = select(UserGroupMemberRow.user_id).where(
            UserGroupMemberRow.group_id == group_id, UserGroupMemberRow.user_id == user_id
        )
        if self.session.scalar(existing) is None:
            last = self.session.scalar(
                select(func.max(UserGroupMemberRow.position)).where(
                    UserGroupMemberRow.group_id == group_id
                )
            )
            if last is not None and self._member_count(group_id) >= MAX_MEMBERS:
                raise InputError(f"a group has at most {MAX_MEMBERS} members", item="member")
            position = 0 if last is None else last + 1
            self.session.add(
                UserGroupMemberRow(group_id=group_id, user_id=user_id, position=position)
            )
            self.session.flush()
        return self.get(group_id)

    def get(self, group_id: int) -> UserGroup:
        row = self.session.execute(
            select(UserGroupRow.id, UserGroupRow.name, UserGroupRow.last_position).where(
                UserGroupRow.id == group_id
            )
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no user group with id {group_id}")
        return UserGroup(row.id, row.name, tuple(self._members(group_id)), row.last_position)

    def by_name(self, name: str) -> UserGroup | None:
        group_id = self._id_by_name(" ".join(name.split()))
        return None if group_id is None else self.get(group_id)

    def list(self) -> builtins.list[UserGroup]:
        ids = self.session.scalars(select(UserGroupRow.id).order_by(UserGroupRow.name))
        return [self.get(group_id) for group_id in ids]

    def take_turn(self, group_id: int) -> GroupMember | None:
        """The next active member, with the pointer moved to them in this transaction.

        Call it only when the prospect will be assigned: the turn is spent either way."""
        last_position = self.session.execute(
            select(UserGroupRow.last_position).where(UserGroupRow.id == group_id).with_for_update()
        ).scalar_one_or_none()
        member = pick_next([m for m in self._members(group_id) if m.active], last_position)
        if member is not None:
            self.session.execute(
                update(UserGroupRow)
                .where(UserGroupRow.id == group_id)
                .values(last_position=member.position)
            )
        return member

    def _members(self, group_id: int) -> builtins.list[GroupMember]:
        query = (
            select(
                UserGroupMemberRow.user_id,
                UserRow.email,
                UserRow.name,
                UserRow.active,
                UserGroupMemberRow.position,
            )
            .join(UserRow, UserRow.id == UserGroupMemberRow.user_id)
            .where(UserGroupMemberRow.group_id == group_id)
            .order_by(UserGroupMemberRow.position)
        )
        return [GroupMember(*row) for row in self.session.execute(query)]

    def _member_count(self, group_id: int) -> int:
        query = select(func.count()).where(UserGroupMemberRow.group_id == group_id)
        return int(self.session.scalar(query) or 0)

    def _id_by_name(self, name: str) -> int | None:
        return self.session.scalar(select(UserGroupRow.id).where(UserGroupRow.name == name))

    def _check_exists(self, group_id: int) -> None:
        if self.session.scalar(select(UserGroupRow.id).where(UserGroupRow.id == group_id)) is None:
            raise NotFoundError(f"no user group with id {group_id}")
