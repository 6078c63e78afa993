"""Prospect use cases for the CLI and the API: each one transaction, each change audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.domain.crm_link import crm_link
from leadbridge.domain.fields import Origin
from leadbridge.domain.ids import row_id
from leadbridge.errors import InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.assignment_requests import AssignmentRequestRepository
from leadbridge.store.audit import AuditRepository
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.queues import queue_name
from leadbridge.store.users import UserRepository


def run_rules_for(session: Session, clock: Clock, prospect_ids: list[int], origin: Origin) -> None:
    """The automation rules on changed prospects. The engine loads here, on a write: listing
    and showing prospects (simple commands that must start fast) never import it."""
    from leadbridge.automation.engine import run_rules_for as run

    run(session, clock, prospect_ids, origin)


class ProspectService:
    def __init__(
        self, db: Database, clock: Clock, *, origin: Origin = Origin.USER, actor: str | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.origin = origin
        self.actor = actor

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        """Add a prospect; automation rules run on it in the same transaction."""
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            prospect = repo.add(values, origin=self.origin, actor=self.actor)
            run_rules_for(session, self.clock, [prospect.id], self.origin)
            return self._json(session, repo.get(prospect.id))

    def find(self, key: str) -> Prospect:
        """A prospect by id or email (live ones; recycled ones by id)."""
        with self.db.session() as session:
            return self._find(ProspectRepository(session, self.clock), key)

    @staticmethod
    def _find(repo: ProspectRepository, key: str) -> Prospect:
        number = row_id(key, "prospect")
        if number is not None:
            return repo.get(number)
        found = repo.by_email(key)
        if found is None:
            raise NotFoundError(f"no live prospect with the email {key!r}")
        return found

    def show(self, key: str, *, history: int = 20) -> dict[str, Any]:
        """A prospect by id or email; by email, a live one, else the newest in the recycle bin
        (`recycled_ids` lists every recycled prospect with that email)."""
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            recycled = [] if key.isdigit() else repo.recycled_by_email(key)
            if recycled and repo.by_email(key) is None:
                prospect = recycled[0]
            else:
                prospect = self._find(repo, key)
            shown = self._json(session, prospect)
            if recycled:
                shown["recycled_ids"] = [found.id for found in recycled]
            shown["history"] = [
                {
                    "at": entry.at.isoformat(),
                    "field": entry.field,
                    "old": entry.old_value,
                    "new": entry.new_value,
                    "origin": str(entry.origin),
                    "actor": entry.actor,
                }
                for entry in AuditRepository(session).for_prospect(prospect.id, limit=history)
            ]
            return shown

    def list(
        self, *, limit: int, after_id: int | None, recycled: bool, assigned_to: str | None
    ) -> list[dict[str, Any]]:
        with self.db.session() as session:
            user_id = None
            if assigned_to:
                user = UserRepository(session).by_email(assigned_to)
                if user is None:
                    raise NotFoundError(f"no leadbridge user with the email {assigned_to!r}")
                user_id = user.id
            prospects = ProspectRepository(session, self.clock).list(
                limit=limit, after_id=after_id, recycled=recycled, assigned_user_id=user_id
            )
            return [self._json(session, prospect) for prospect in prospects]

    def edit(self, key: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            prospect = self._find(repo, key)
            repo.update(prospect.id, changes, origin=self.origin, actor=self.actor)
            run_rules_for(session, self.clock, [prospect.id], self.origin)
            return self._json(session, repo.get(prospect.id))

    def assign(self, key: str, user_email: str) -> dict[str, Any]:
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            prospect = self._find(repo, key)
            user = UserRepository(session).by_email(user_email)
            if user is None:
                raise NotFoundError(f"no leadbridge user with the email {user_email!r}")
            assigned = repo.assign(prospect.id, user.id, origin=self.origin, actor=self.actor)
            return self._json(session, assigned)

    def assign_by_salesforce_rule(self, key: str) -> dict[str, Any]:
        """Have the prospect pushed with Salesforce's active lead assignment rule on: the
        owner the rule picks becomes its assigned user (the mark and its push are written
        in this transaction)."""
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            prospect = self._find(repo, key)
            if prospect.recycled:
                raise InputError(f"prospect {prospect.id} is in the recycle bin", item="prospect")
            if prospect.do_not_sync:
                raise InputError(
                    f"prospect {prospect.id} is marked do-not-sync; clear it first",
                    item="prospect",
                )
            if prospect.deleted_in_crm:
                raise InputError(
                    f"prospect {prospect.id}'s Salesforce record was deleted", item="prospect"
                )
            actor = self.actor or "leadbridge prospects assign --salesforce-rule"
            AssignmentRequestRepository(session, self.clock).request(prospect.id, actor=actor)
            shown = self._json(session, prospect)
            shown["salesforce_rule_requested"] = True
            return shown

    def delete(self, key: str) -> dict[str, Any]:
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            prospect = self._find(repo, key)
            repo.recycle(prospect.id, origin=self.origin, actor=self.actor)
            return self._json(session, repo.get(prospect.id))

    def undelete(self, prospect_id: int) -> dict[str, Any]:
        with self.db.session() as session:
            repo = ProspectRepository(session, self.clock)
            restored = repo.restore(prospect_id, origin=self.origin, actor=self.actor)
            return self._json(session, restored)

    def _json(self, session: Any, prospect: Prospect) -> dict[str, Any]:
        data = asdict(prospect)
        data["custom"] = dict(prospect.custom)
        user = None
        if prospect.assigned_user_id is not None:
            user = UserRepository(session).get(prospect.assigned_user_id)
        data["assigned_user"] = user.email if user else None
        data["assigned_user_crm"] = user.crm_username if user else None
        data["crm_link"] = _crm_link(prospect)
        data["crm_owner_queue"] = queue_name(session, prospect.crm_owner_id)
        return data


def _crm_link(prospect: Prospect) -> str:
    return crm_link(
        contact_id=prospect.crm_contact_id,
        lead_id=prospect.crm_lead_id,
        do_not_sync=prospect.do_not_sync,
        assigned=prospect.assigned_user_id is not None,
    )
