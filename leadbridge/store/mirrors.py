"""Read-only mirrors of Salesforce records: prospect accounts, opportunities and contact roles.

The pull direction fills these (`leadbridge.sync.mirrors`); nothing writes them back to
Salesforce. Inputs are plain snapshots keyed by Salesforce id; upserts are idempotent, so
overlapping poll windows do no harm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.store.chunks import chunked
from leadbridge.store.models import (
    LIVE,
    CrmAccountRow,
    CrmContactRoleRow,
    CrmOpportunityRow,
    ProspectRow,
)

R = TypeVar("R")


@dataclass(frozen=True)
class LinkedPerson:
    """A live prospect linked to a Salesforce lead and/or contact."""

    prospect_id: int
    lead_id: str | None
    contact_id: str | None
    account_id: str | None


@dataclass(frozen=True)
class AccountData:
    crm_id: str
    name: str | None
    values: Mapping[str, Any]  # account field name → value (the account field mappings)
    modified_at: datetime | None


@dataclass(frozen=True)
class OpportunityData:
    crm_id: str
    name: str
    stage: str | None
    amount: float | None
    close_date: date | None
    is_won: bool
    is_closed: bool
    account_crm_id: str | None
    modified_at: datetime | None


@dataclass(frozen=True)
class RoleData:
    crm_id: str
    opportunity_crm_id: str
    contact_crm_id: str
    role: str | None
    is_primary: bool


@dataclass(frozen=True)
class MirroredAccount:
    crm_id: str
    name: str | None
    values: dict[str, Any]
    synced_at: datetime | None
    prospect_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ContactRole:
    prospect_id: int
    role: str | None
    is_primary: bool


@dataclass(frozen=True)
class MirroredOpportunity:
    crm_id: str
    name: str
    stage: str | None
    amount: float | None
    close_date: date | None
    is_won: bool
    is_closed: bool
    account_crm_id: str | None
    roles: list[ContactRole] = field(default_factory=list)


class MirrorRepository:
    """Prospect links, accounts, opportunities and contact roles."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- prospects ---------------------------------------------------------------------------

    def linked_people(self, since: datetime | None = None) -> list[LinkedPerson]:
        """Live prospects linked to a lead or contact; only those synced at or after `since`."""
        query = select(
            ProspectRow.id,
            ProspectRow.crm_lead_id,
            ProspectRow.crm_contact_id,
            ProspectRow.crm_account_id,
        ).where(
            LIVE, or_(ProspectRow.crm_lead_id.is_not(None), ProspectRow.crm_contact_id.is_not(None))
        )
        if since is not None:
            query = query.where(ProspectRow.last_crm_sync_at >= since)
        rows = self.session.execute(query.order_by(ProspectRow.id))
        return [LinkedPerson(*row) for row in rows]

    def prospects_by_person(self, crm_ids: Iterable[str]) -> dict[str, int]:
        """Lead or contact id → live prospect id."""
        found: dict[str, int] = {}
        wanted = sorted(set(crm_ids))
        for column in (ProspectRow.crm_lead_id, ProspectRow.crm_contact_id):
            for chunk in chunked(wanted):
                query = select(column, ProspectRow.id).where(LIVE, column.in_(chunk))
                found.update({str(crm_id): int(pid) for crm_id, pid in self.session.execute(query)})
        return found

    def linked_account_ids(self, crm_ids: Iterable[str]) -> set[str]:
        """Those of `crm_ids` that a live prospect's account link or the mirror holds."""
        wanted = sorted(set(crm_ids))
        found: set[str] = set()
        for chunk in chunked(wanted):
            linked = select(ProspectRow.crm_account_id).where(
                LIVE, ProspectRow.crm_account_id.in_(chunk)
            )
            found.update(str(value) for value in self.session.scalars(linked))
            mirrored = select(CrmAccountRow.crm_id).where(CrmAccountRow.crm_id.in_(chunk))
            found.update(self.session.scalars(mirrored))
        return found

    def set_account_links(self, contact_accounts: Mapping[str, str | None]) -> int:
        """Point prospects linked to these contacts at their account; how many changed."""
        changed = 0
        for contact_id, account_id in sorted(contact_accounts.items()):
            result = self.session.execute(
                update(ProspectRow)
                .where(
                    ProspectRow.crm_contact_id == contact_id,
                    or_(
                        ProspectRow.crm_account_id.is_(None),
                        ProspectRow.crm_account_id != account_id,
                    )
                    if account_id is not None
                    else ProspectRow.crm_account_id.is_not(None),
                )
                .values(crm_account_id=account_id)
                .execution_options(synchronize_session=False)
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
        return changed

    # -- accounts ----------------------------------------------------------------------------

    def upsert_accounts(self, accounts: Sequence[AccountData], at: datetime) -> int:
        rows = self._by_crm_id(CrmAccountRow, [a.crm_id for a in accounts])
        for account in accounts:
            row = rows.get(account.crm_id) or CrmAccountRow(crm_id=account.crm_id)
            row.name, row.values = account.name, dict(account.values)
            row.crm_modified_at, row.synced_at = account.modified_at, at
            self.session.add(row)
            rows[account.crm_id] = row
        self.session.flush()
        return len(accounts)

    def accounts(self, *, limit: int = 100) -> list[MirroredAccount]:
        rows = self.session.scalars(select(CrmAccountRow).order_by(CrmAccountRow.name).limit(limit))
        return [self._account(row) for row in rows]

    def account(self, crm_id: str) -> MirroredAccount:
        row = self.session.scalar(select(CrmAccountRow).where(CrmAccountRow.crm_id == crm_id))
        if row is None:
            raise NotFoundError(f"no mirrored account with the Salesforce id {crm_id!r}")
        return self._account(row)

    def _account(self, row: CrmAccountRow) -> MirroredAccount:
        query = select(ProspectRow.id).where(LIVE, ProspectRow.crm_account_id == row.crm_id)
        return MirroredAccount(
            row.crm_id,
            row.name,
            dict(row.values or {}),
            row.synced_at,
            [int(pid) for pid in self.session.scalars(query.order_by(ProspectRow.id))],
        )

    # -- opportunities and contact roles ----------------------------------------------------------

    def opportunity_ids(self, crm_ids: Iterable[str]) -> set[str]:
        """Those of `crm_ids` already mirrored."""
        return set(self._by_crm_id(CrmOpportunityRow, sorted(set(crm_ids))))

    def upsert_opportunities(self, opportunities: Sequence[OpportunityData], at: datetime) -> int:
        rows = self._by_crm_id(CrmOpportunityRow, [o.crm_id for o in opportunities])
        accounts = self._by_crm_id(
            CrmAccountRow, sorted({o.account_crm_id for o in opportunities if o.account_crm_id})
        )
        for opp in opportunities:
            row = rows.get(opp.crm_id) or CrmOpportunityRow(crm_id=opp.crm_id)
            account = accounts.get(opp.account_crm_id or "")
            row.name, row.stage, row.amount = opp.name, opp.stage, opp.amount
            row.close_date, row.is_won, row.is_closed = opp.close_date, opp.is_won, opp.is_closed
            row.account_id = None if account is None else account.id
            row.crm_modified_at, row.synced_at = opp.modified_at, at
            self.session.add(row)
            rows[opp.crm_id] = row
        self.session.flush()
        return len(opportunities)

    def upsert_roles(self, roles: Sequence[RoleData]) -> int:
        """Contact roles whose opportunity is mirrored and whose contact is a prospect's."""
        opportunities = self._by_crm_id(
            CrmOpportunityRow, sorted({r.opportunity_crm_id for r in roles})
        )
        people = self.prospects_by_person(r.contact_crm_id for r in roles)
        existing = self._by_crm_id(CrmContactRoleRow, [r.crm_id for r in roles])
        stored = 0
        for role in roles:
            opportunity = opportunities.get(role.opportunity_crm_id)
            prospect_id = people.get(role.contact_crm_id)
            if opportunity is None or prospect_id is None:
                continue
            row = existing.get(role.crm_id) or self.session.scalar(
                select(CrmContactRoleRow).where(
                    CrmContactRoleRow.opportunity_id == opportunity.id,
                    CrmContactRoleRow.prospect_id == prospect_id,
                )
            )
            row = row or CrmContactRoleRow(opportunity_id=opportunity.id, prospect_id=prospect_id)
            row.crm_id, row.role, row.is_primary = role.crm_id, role.role, role.is_primary
            row.opportunity_id, row.prospect_id = opportunity.id, prospect_id
            self.session.add(row)
            self.session.flush()
            stored += 1
        return stored

    def opportunities(
        self, *, prospect_id: int | None = None, limit: int = 100
    ) -> list[MirroredOpportunity]:
        query = select(CrmOpportunityRow).order_by(CrmOpportunityRow.name).limit(limit)
        if prospect_id is not None:
            roles = select(CrmContactRoleRow.opportunity_id).where(
                CrmContactRoleRow.prospect_id == prospect_id
            )
            query = query.where(CrmOpportunityRow.id.in_(roles))
        rows = list(self.session.scalars(query))
        account_ids = {row.account_id for row in rows if row.account_id is not None}
        accounts = dict(
            self.session.execute(
                select(CrmAccountRow.id, CrmAccountRow.crm_id).where(
                    CrmAccountRow.id.in_(account_ids)
                )
            ).all()
        )
        roles_by_opp: dict[int, list[ContactRole]] = {}
        role_rows = self.session.scalars(
            select(CrmContactRoleRow)
            .where(CrmContactRoleRow.opportunity_id.in_([row.id for row in rows]))
            .order_by(CrmContactRoleRow.prospect_id)
        )
        for role in role_rows:
            roles_by_opp.setdefault(role.opportunity_id, []).append(
                ContactRole(role.prospect_id, role.role, role.is_primary)
            )
        return [
            MirroredOpportunity(
                row.crm_id,
                row.name,
                row.stage,
                row.amount,
                row.close_date,
                row.is_won,
                row.is_closed,
                accounts.get(row.account_id) if row.account_id is not None else None,
                roles_by_opp.get(row.id, []),
            )
            for row in rows
        ]

    # -- helpers -------------------------------------------------------------------------------

    def _by_crm_id(self, model: type[R], crm_ids: Sequence[str]) -> dict[str, R]:
        return by_crm_id(self.session, model, crm_ids)


def by_crm_id(session: Session, model: type[R], crm_ids: Sequence[str]) -> dict[str, R]:
    """Mirror rows by Salesforce id, in chunked IN queries."""
    found: dict[str, R] = {}
    column: Any = model.crm_id  # type: ignore[attr-defined]
    for chunk in chunked(sorted(set(crm_ids))):
        for row in session.scalars(select(model).where(column.in_(chunk))):
            found[str(row.crm_id)] = row  # type: ignore[attr-defined]
    return found
