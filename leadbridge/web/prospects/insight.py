"""Everything the Insight page shows about one prospect, read in one session (the `why`
explanation in its own, through `WhyService`, so its words are the CLI's)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadbridge.diagnostics.why import WhyReport, WhyService
from leadbridge.domain.why import explain
from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.audit import AuditEntry, AuditRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.forms import FormHandlerRepository, FormSubmission, FormSubmissionRepository
from leadbridge.store.mirrors import MirroredAccount, MirroredOpportunity, MirrorRepository
from leadbridge.store.mirrors_campaigns import CampaignMirrorRepository, Membership
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.queues import owner_queue
from leadbridge.store.sync_errors import SyncError, SyncErrorRepository
from leadbridge.store.users import User, UserRepository
from leadbridge.web.audit_changes import ShownChange, shown_changes
from leadbridge.web.prospects.links import record_url

AUDIT_PAGE = 20


@dataclass(frozen=True)
class Insight:
    prospect: Prospect
    assigned: User | None
    users: list[User]
    record_url: str | None
    why: WhyReport
    audit: list[AuditEntry]
    audit_shown: dict[int, ShownChange]  # each entry in words, by its id
    audit_next: int | None  # `audit_before` for the next (older) page
    memberships: list[Membership]
    account: MirroredAccount | None
    opportunities: list[MirroredOpportunity]
    errors: list[SyncError]
    submissions: list[tuple[FormSubmission, str]]  # with the form handler's name
    owner_queue: str | None = None  # "owned by queue NAME": a Salesforce queue owns its record


def visible_prospect(
    db: Database, clock: Clock, prospect_id: int, scope_user_id: int | None
) -> Prospect:
    """The prospect, or NotFoundError when there is none or it is not `scope_user_id`'s
    (a sales user learns nothing about others' prospects, not even that they exist)."""
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).get(prospect_id)
    if scope_user_id is not None and prospect.assigned_user_id != scope_user_id:
        raise NotFoundError(f"no prospect with id {prospect_id}")
    return prospect


def load_insight(
    db: Database, clock: Clock, prospect: Prospect, *, audit_before: int | None
) -> Insight:
    with db.session(readonly=True) as session:
        users = UserRepository(session)
        assigned = (
            None if prospect.assigned_user_id is None else users.get(prospect.assigned_user_id)
        )
        connector = ConnectorRepository(session).get()
        audit = AuditRepository(session).for_prospect(
            prospect.id, AUDIT_PAGE + 1, before_id=audit_before
        )
        mirrors = MirrorRepository(session)
        account = None
        if prospect.crm_account_id:
            try:
                account = mirrors.account(prospect.crm_account_id)
            except NotFoundError:
                account = None
        handlers = {
            handler.id: handler.name for handler in FormHandlerRepository(session, clock).list()
        }
        submissions = [
            (submission, handlers.get(submission.handler_id, f"form {submission.handler_id}"))
            for submission in FormSubmissionRepository(session, clock).for_prospect(prospect.id, 20)
        ]
        return Insight(
            prospect=prospect,
            assigned=assigned,
            users=users.list(active_only=True),
            record_url=record_url(connector.login_url if connector else None, prospect.crm_id),
            why=_why(session, db, clock, prospect.id),
            audit=audit[:AUDIT_PAGE],
            audit_shown=shown_changes(session, audit[:AUDIT_PAGE]),
            audit_next=audit[AUDIT_PAGE - 1].id if len(audit) > AUDIT_PAGE else None,
            memberships=CampaignMirrorRepository(session).memberships(prospect.id),
            account=account,
            opportunities=mirrors.opportunities(prospect_id=prospect.id, limit=50),
            errors=SyncErrorRepository(session, clock).for_prospect(prospect.id),
            submissions=submissions,
            owner_queue=owner_queue(session, prospect.crm_owner_id),
        )


def _why(session: Session, db: Database, clock: Clock, prospect_id: int) -> WhyReport:
    """`leadbridge why`'s report, from the same facts and the same explanation."""
    facts = WhyService(db, clock).facts(session, str(prospect_id))
    return WhyReport(facts, explain(facts))
