"""A manual "sync with CRM" for one prospect, explained in plain words afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadbridge.domain.ids import row_id
from leadbridge.domain.push import PushFacts, push_blockers
from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.sync_errors import SyncErrorRepository
from leadbridge.store.users import UserRepository
from leadbridge.sync.push import PushEngine, PushSummary


@dataclass
class ProspectSync:
    """What a manual sync of one prospect did."""

    prospect_id: int
    email: str
    summary: PushSummary
    in_sync: bool
    crm_object: str | None = None
    crm_id: str | None = None
    blockers: list[str] = field(default_factory=list)  # why it was not pushed
    errors: list[dict[str, Any]] = field(default_factory=list)  # open sync errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "prospect_id": self.prospect_id,
            "email": self.email,
            "in_sync": self.in_sync,
            "crm_object": self.crm_object,
            "crm_id": self.crm_id,
            "blockers": self.blockers,
            "errors": self.errors,
            "summary": self.summary.as_dict(),
        }


def sync_prospect(engine: PushEngine, db: Database, clock: Clock, key: str) -> ProspectSync:
    """Push the prospect with this email (or id) now, even while the connector is paused."""
    with db.session(readonly=True) as session:
        prospects = ProspectRepository(session, clock)
        number = row_id(key, "prospect")
        prospect = prospects.get(number) if number else prospects.by_email(key)
        if prospect is None:
            raise NotFoundError(f"no live prospect with the email {key!r}")
    summary = engine.run_once(manual=True, prospect_ids=[prospect.id])
    with db.session(readonly=True) as session:
        after = ProspectRepository(session, clock).get(prospect.id)
        user = (
            None
            if after.assigned_user_id is None
            else UserRepository(session).get(after.assigned_user_id)
        )
        errors = [
            {
                "id": error.id,
                "code": error.error_code,
                "message": error.message,
                "crm_object": error.crm_object,
                "fields": list(error.fields),
            }
            for error in SyncErrorRepository(session, clock).for_prospect(prospect.id)
            if error.resolved_at is None
        ]
    facts = PushFacts(
        assigned=after.assigned_user_id is not None,
        linked=after.crm_id is not None,
        do_not_sync=after.do_not_sync,
        recycled=after.recycled,
        deleted_in_crm=after.deleted_in_crm,
        manual=True,
        assigned_user=None if user is None else user.email,
        assigned_user_mapped=user is not None and user.crm_user_id is not None,
    )
    blockers = [b.message for b in push_blockers(facts) if not b.creation_only]
    crm_object = "Contact" if after.crm_contact_id else ("Lead" if after.crm_lead_id else None)
    return ProspectSync(
        prospect_id=after.id,
        email=after.email,
        summary=summary,
        in_sync=summary.pushed == 1,
        crm_object=crm_object,
        crm_id=after.crm_id,
        blockers=blockers,
        errors=errors,
    )
