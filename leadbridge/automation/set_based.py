"""Firing rules for a whole batch of prospects at once: evaluate in memory, write in bulk.

The row-by-row engine (`RuleEngine._apply_row_by_row`) takes a lock, reloads the prospect,
claims the match, and writes each change, audit row and outbox item with its own statements,
for every firing. Here the same decisions are made in memory over the batch, in the same
order, and then written with a few statements per batch:

- the batch's prospects are locked (SELECT … FOR UPDATE, in id order) and loaded in one query;
- for each prospect in id order, each rule in id order runs on the prospect as the previous
  rules left it (exactly as row by row): criteria, the action plan, the field check (a value
  the field refuses is that firing's failure, reported, and nothing of it is written), the
  assignment (a user group's turns are taken in that same prospect-then-rule order);
- the claims (rule_matches) of every firing are written in bulk with the same atomic
  statements as `RuleMatchRepository.claim`; should any claim be refused (a concurrent run
  fired the rule for the prospect first), the whole batch is undone and run row by row, which
  decides each firing for sure;
- then the prospects' new values (one executemany per set of changed columns), the audit
  rows and the outbox items (in firing order), and the groups' round-robin pointers.

Only the common actions are handled here (assignments to a user or a group, standard field
changes, score, do-not-sync, sync with Salesforce); a rule with any other action (a
Salesforce assignment rule or campaign, a marketing campaign, a custom field, the email)
makes the batch run row by row (`supported`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from leadbridge.domain.automation import (
    Action,
    AdjustScore,
    AssignGroup,
    AssignUser,
    ChangeField,
    SetDoNotSync,
    SyncWithCrm,
    describe_action,
    plan_actions,
)
from leadbridge.domain.fields import DEFAULT_FIELD_NAMES, Origin
from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.bulk_rows import insert_new_rows, insert_rows, update_rows
from leadbridge.store.chunks import chunked
from leadbridge.store.dialect_insert import dialect_insert
from leadbridge.store.groups import GroupMember, UserGroupRepository, pick_next
from leadbridge.store.models import (
    AuditRow,
    OutboxRow,
    ProspectRow,
    RuleMatchRow,
    UserGroupRow,
)
from leadbridge.store.outbox import MAX_REASON, PUSH
from leadbridge.store.prospect import Prospect, with_values
from leadbridge.store.prospect_batches import prospects_by_ids
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.users import UserRepository
from leadbridge.store.values import to_text

if TYPE_CHECKING:
    from leadbridge.automation.engine import CompiledRule, RulesReport

logger = logging.getLogger("leadbridge.automation.engine")
PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]
AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
MATCHES: Table = RuleMatchRow.__table__  # type: ignore[assignment]
COLUMN_FIELDS = frozenset(DEFAULT_FIELD_NAMES) - {"email", "marketing_campaign"} | {"do_not_sync"}


def supported(rules: Sequence[CompiledRule], catalog: FieldCatalog) -> bool:
    """Whether every action of these rules can be fired set-based."""
    return all(actions_supported(rule.actions, catalog) for rule in rules)


def actions_supported(actions: Sequence[Action], catalog: FieldCatalog) -> bool:
    """Whether these actions can be carried out in bulk (here, and by a form batch's
    completion actions): assignments, score, sync, and changes of a prospect's own columns."""
    for action in actions:
        match action:
            case AssignUser() | AssignGroup() | AdjustScore() | SyncWithCrm() | SetDoNotSync():
                continue
            case ChangeField(name, _) if name in COLUMN_FIELDS and not catalog.is_custom(name):
                continue
            case _:
                return False
    return True


class ClaimRefusedError(Exception):
    """A firing planned here was claimed by someone else first: run the batch row by row."""


@dataclass
class _Firing:
    rule: CompiledRule
    prospect_id: int
    repeat: bool  # a repeating rule that fired for the prospect before (claimed by update)


@dataclass
class _Writes:
    firings: list[_Firing] = field(default_factory=list)
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)  # prospect → column values
    audit: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)


class _Groups:
    """User groups by name, their active members and round-robin pointer, turns in memory."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.repository = UserGroupRepository(session, clock)
        self.session = session
        self._by_name: dict[str, tuple[int, list[GroupMember]] | None] = {}
        self.last: dict[int, int | None] = {}

    def take_turn(self, name: str) -> tuple[bool, GroupMember | None]:
        """(the group exists, the member whose turn it is, pointer moved to them)."""
        if name not in self._by_name:
            group = self.repository.by_name(name)
            if group is None:
                self._by_name[name] = None
            else:
                locked = self.session.execute(
                    select(UserGroupRow.last_position)
                    .where(UserGroupRow.id == group.id)
                    .with_for_update()
                ).scalar_one_or_none()
                self._by_name[name] = (group.id, [m for m in group.members if m.active])
                self.last[group.id] = locked
        found = self._by_name[name]
        if found is None:
            return False, None
        group_id, active = found
        member = pick_next(active, self.last[group_id])
        if member is not None:
            self.last[group_id] = member.position
        return True, member


class SetBasedFiring:
    def __init__(self, session: Session, clock: Clock, catalog: FieldCatalog) -> None:
        self.session = session
        self.clock = clock
        self.catalog = catalog
        self.now = clock.now()
        self.users = UserRepository(session)
        self._user_cache: dict[str, tuple[int, str, bool] | None] = {}
        self.groups = _Groups(session, clock)

    def apply(
        self,
        rules: Sequence[CompiledRule],
        prospects: Sequence[Prospect],
        last_fired: dict[tuple[int, int], datetime],
        report: RulesReport,
        *,
        locked: bool = False,
    ) -> None:
        """Fire the rules for these (live) prospects; ClaimRefusedError when a claim is refused
        (the caller undoes the batch's savepoint and runs it row by row). `locked`: the
        prospects were read after their rows were locked (`prospects_by_ids(lock=True)`)."""
        from leadbridge.automation.engine import Firing

        writes = _Writes()
        for prospect in self._locked(prospects, locked):
            if prospect.recycled:
                continue
            report.prospects += 1
            current = prospect
            for rule in rules:
                if not rule.criteria.matches(current):
                    continue
                report.matched += 1
                last = last_fired.get((rule.rule.id, prospect.id))
                if not self._may_fire(rule, last):
                    continue
                try:
                    after, done, skipped = self._plan(rule, current, writes)
                except LeadbridgeError as error:
                    name = rule.rule.name
                    logger.warning(
                        "automation rule failed",
                        extra={"action": "rule_failed", "rule": name, "prospect_id": prospect.id},
                    )
                    report.record_failure(f"rule {name!r} on prospect {prospect.id}: {error}")
                    continue
                writes.firings.append(_Firing(rule, prospect.id, last is not None))
                report.record_firing(Firing(rule.rule.name, prospect.id, done, skipped))
                current = after
        self._claim(writes.firings)
        self._write(writes)

    def _locked(self, prospects: Sequence[Prospect], locked: bool) -> Sequence[Prospect]:
        """The prospects in id order, their rows locked: when they were read before their
        rows were locked, they are read again after (another transaction may have changed
        them in between; on SQLite writers are serialised, and no lock is needed)."""
        self.session.flush()
        ordered = sorted(prospects, key=lambda prospect: prospect.id)
        if locked or self.session.get_bind().dialect.name == "sqlite":
            return ordered
        ids = [prospect.id for prospect in ordered]
        return prospects_by_ids(self.session, ids, lock=True)

    def _may_fire(self, rule: CompiledRule, last: datetime | None) -> bool:
        if last is None:
            return True
        repeat_after = rule.repeat_after
        return repeat_after is not None and last <= self.now - repeat_after

    def _user(self, email: str) -> tuple[int, str, bool] | None:
        if email not in self._user_cache:
            user = self.users.by_email(email)
            self._user_cache[email] = None if user is None else (user.id, user.email, user.active)
        return self._user_cache[email]

    def _plan(
        self, rule: CompiledRule, prospect: Prospect, writes: _Writes
    ) -> tuple[Prospect, tuple[str, ...], tuple[str, ...]]:
        """The prospect after the rule's actions, what they did and skipped; the writes are
        added to `writes` only when nothing failed (InputError for a refused value)."""
        actor = rule.rule.name
        plan = plan_actions(rule.actions, prospect)
        done: list[str] = []
        skipped = list(plan.skipped)
        audit: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        columns: dict[str, Any] = {}
        after = prospect
        if plan.changes:
            checked = self.catalog.check(plan.changes, origin=Origin.AUTOMATION)
            changed = {n: v for n, v in checked.items() if prospect.value(n) != v}
            if changed:
                for name, value in changed.items():
                    audit.append(self._audit(prospect.id, name, prospect.value(name), value, actor))
                columns.update(changed)
                after = with_values(after, **changed, updated_at=self.now)
                if after.syncable:
                    outbox.append(self._push(prospect.id, "changed: " + ", ".join(sorted(changed))))
            done.append("changed " + ", ".join(sorted(plan.changes)))
        for index, assignment in enumerate(plan.assignments):
            assignee = self._assignee(assignment, skipped)
            if assignee is None:
                continue
            user_id, email = assignee
            if after.assigned_user_id is None:
                audit.append(self._audit(prospect.id, "assigned_user_id", None, user_id, actor))
                columns["assigned_user_id"] = user_id
                after = with_values(after, assigned_user_id=user_id, updated_at=self.now)
                if after.syncable:
                    outbox.append(self._push(prospect.id, "assigned"))
            done.append(f"assigned to {email} ({describe_action(assignment)})")
            skipped.extend(
                f"{describe_action(later)}: assigned by an earlier action"
                for later in plan.assignments[index + 1 :]
            )
            break
        if plan.sync:
            outbox.append(self._push(prospect.id, f"sync with CRM requested by {actor}"))
            done.append("sync with Salesforce requested")
        if columns:
            writes.columns.setdefault(prospect.id, {}).update(columns, updated_at=self.now)
        writes.audit.extend(audit)
        writes.outbox.extend(outbox)
        return after, tuple(done), tuple(skipped)

    def _assignee(self, assignment: Any, skipped: list[str]) -> tuple[int, str] | None:
        match assignment:
            case AssignUser(email):
                user = self._user(email)
                if user is None or not user[2]:
                    reason = "no such user" if user is None else "the user is inactive"
                    skipped.append(f"{describe_action(assignment)}: {reason}")
                    return None
                return user[0], user[1]
            case AssignGroup(name):
                exists, member = self.groups.take_turn(name)
                if member is None:
                    reason = "the group has no active member" if exists else "no such group"
                    skipped.append(f"{describe_action(assignment)}: {reason}")
                    return None
                return member.user_id, member.email
        raise AssertionError(f"not handled set-based: {assignment!r}")

    def _audit(self, prospect_id: int, name: str, old: Any, new: Any, actor: str) -> dict[str, Any]:
        return {
            "prospect_id": prospect_id,
            "field": name,
            "old_value": to_text(old),
            "new_value": to_text(new),
            "at": self.now,
            "origin": Origin.AUTOMATION,
            "actor": actor,
        }

    def _push(self, prospect_id: int, reason: str) -> dict[str, Any]:
        return {
            "kind": PUSH,
            "prospect_id": prospect_id,
            "reason": reason[:MAX_REASON],
            "created_at": self.now,
            "attempts": 0,
            "available_at": self.now,
        }

    def _claim(self, firings: Sequence[_Firing]) -> None:
        """The claims `RuleMatchRepository.claim` makes, in bulk; ClaimRefusedError when one is
        refused."""
        first = [
            {
                "rule_id": f.rule.rule.id,
                "prospect_id": f.prospect_id,
                "first_fired_at": self.now,
                "last_fired_at": self.now,
                "times": 1,
            }
            for f in firings
            if not f.repeat
        ]
        inserted = insert_new_rows(
            self.session.connection(), MATCHES, first, ("rule_id", "prospect_id")
        )
        if inserted is not None and inserted != len(first):
            raise ClaimRefusedError
        if first and inserted is None:
            statement = (
                dialect_insert(self.session, RuleMatchRow)
                .on_conflict_do_nothing(index_elements=["rule_id", "prospect_id"])
                .returning(RuleMatchRow.rule_id)
            )
            # One executemany: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues")
            # and gathers the RETURNING rows of all of them.
            if len(self.session.connection().execute(statement, first).all()) != len(first):
                raise ClaimRefusedError
        again: dict[int, tuple[timedelta, list[int]]] = {}
        for f in firings:
            if f.repeat:
                repeat_after = f.rule.repeat_after
                assert repeat_after is not None
                again.setdefault(f.rule.rule.id, (repeat_after, []))[1].append(f.prospect_id)
        for rule_id, (repeat_after, prospect_ids) in again.items():
            for ids in chunked(prospect_ids):
                statement = (
                    update(RuleMatchRow)
                    .where(
                        RuleMatchRow.rule_id == rule_id,
                        RuleMatchRow.prospect_id.in_(ids),
                        RuleMatchRow.last_fired_at <= self.now - repeat_after,
                    )
                    .values(last_fired_at=self.now, times=RuleMatchRow.times + 1)
                    .returning(RuleMatchRow.prospect_id)
                )
                if len(self.session.execute(statement).all()) != len(ids):
                    raise ClaimRefusedError

    def _write(self, writes: _Writes) -> None:
        connection = self.session.connection()
        update_rows(
            connection,
            PROSPECTS,
            [{"_id": prospect_id, **values} for prospect_id, values in writes.columns.items()],
        )
        insert_rows(connection, AUDIT, writes.audit)
        insert_rows(connection, OUTBOX, writes.outbox)
        for group_id, position in self.groups.last.items():
            if position is not None:
                self.session.execute(
                    update(UserGroupRow)
                    .where(UserGroupRow.id == group_id)
                    .values(last_position=position)
                )
        touched = set(writes.columns)
        for row in list(self.session.identity_map.values()):
            if isinstance(row, ProspectRow) and row.id in touched:
                self.session.expire(row)
