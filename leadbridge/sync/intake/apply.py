"""Taking one Salesforce lead or contact (or one CSV row) into leadbridge, in the caller's
transaction: create the prospect, or restore and update an existing one, link it to the record,
assign it from the record's owner, and remember the values both sides now hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.domain.matching import CONTACT
from leadbridge.ports import Clock, CrmRecord
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect import Prospect, with_values
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.prospect_loading import load_by
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.queues import is_queue_id
from leadbridge.store.sync_state import Agreed, SyncStateRepository
from leadbridge.store.users import User, UserRepository
from leadbridge.sync.config import PushConfig
from leadbridge.sync.intake.report import (
    CREATED,
    LINKED,
    RESTORED,
    UNCHANGED,
    UPDATED,
    IntakeOutcome,
)
from leadbridge.sync.intake.values import CrmValues, agreed_values, crm_values, fill_values


class AfterChange(Protocol):
    """Called with (session, prospect ids, origin) after changes, in the same transaction: the
    automation engine's `run_rules_for` (the sync engine may not import automation itself).
    `fresh`: current snapshots of some of those prospects that this transaction created (their
    rows are its own: the hook need not lock nor read them again)."""

    def __call__(
        self,
        session: Any,
        prospect_ids: Sequence[int],
        origin: Origin,
        /,
        *,
        fresh: Sequence[Prospect] = (),
    ) -> object: ...


@dataclass(frozen=True)
class Source:
    """The Salesforce record a prospect is taken from."""

    object_name: str
    record: CrmRecord

    @property
    def crm_id(self) -> str:
        return str(self.record["Id"])


@dataclass
class Known:
    """Prospects already in leadbridge for a batch, kept current as the batch goes on."""

    live: dict[str, Prospect] = field(default_factory=dict)  # by email key
    recycled: dict[str, Prospect] = field(default_factory=dict)  # by email key, newest
    by_crm_id: dict[str, Prospect] = field(default_factory=dict)

    def remember(self, prospect: Prospect) -> None:
        self.live[prospect.email_key] = prospect
        self.recycled.pop(prospect.email_key, None)
        for crm_id in (prospect.crm_lead_id, prospect.crm_contact_id):
            if crm_id:
                self.by_crm_id[crm_id] = prospect


@dataclass
class NewProspect:
    """A prospect to create, as `Intake.new_values` checked it."""

    outcome: IntakeOutcome
    source: Source | None
    values: dict[str, Any]
    taken: CrmValues | None


def _link_columns(source: Source, now: datetime) -> dict[str, Any]:
    """The columns `Intake._link` sets on a prospect not linked before."""
    record = source.record
    owner = record.get("OwnerId")
    columns: dict[str, Any] = {"crm_owner_id": str(owner) if owner else None}
    if source.object_name == CONTACT:
        account = record.get("AccountId")
        columns["crm_contact_id"] = source.crm_id
        columns["crm_account_id"] = str(account) if account else None
    else:
        columns["crm_lead_id"] = source.crm_id
    columns["last_crm_sync_at"] = now
    return columns


class Intake:
    """One transaction's worth of taking records in."""

    def __init__(self, session: Any, clock: Clock, config: PushConfig) -> None:
        self.session = session
        self.clock = clock
        self.config = config
        self.prospects = ProspectRepository(session, clock)
        self.users = UserRepository(session)
        self.state = SyncStateRepository(session, clock)
        self.catalog = FieldCatalog.load(session)
        self._owners: dict[str, User | None] = {}

    def known(self, emails: Iterable[str], crm_ids: Iterable[str] = ()) -> Known:
        keys = list(dict.fromkeys(email_key(email) for email in emails))
        # Live and recycled in one read; of several recycled with an email, the newest.
        found = sorted(load_by(self.session, ProspectRow.email_key, keys), key=lambda p: p.id)
        return Known(
            live={prospect.email_key: prospect for prospect in found if not prospect.recycled},
            recycled={prospect.email_key: prospect for prospect in found if prospect.recycled},
            by_crm_id=self.prospects.by_crm_ids(list(crm_ids)),
        )

    def take(
        self,
        outcome: IntakeOutcome,
        source: Source | None,
        existing: Prospect | None,
        *,
        email: str,
        given: Mapping[str, Any],
        origin: Origin,
    ) -> Prospect:
        """Create or update the prospect, link it to `source`; fills in `outcome`."""
        taken = (
            None
            if source is None
            else crm_values(self.config, self.catalog, source.object_name, source.record)
        )
        if taken is not None:
            outcome.warnings.extend(taken.warnings)
        from_crm = {} if taken is None else taken.values
        if existing is None:
            prospect = self.prospects.add(
                {**from_crm, **given, "email": email}, origin=origin, actor=None
            )
            outcome.status = CREATED
        else:
            prospect, outcome.status = self._update(existing, source, from_crm, given, origin)
        if source is not None and taken is not None:
            newly = source.crm_id not in (prospect.crm_lead_id, prospect.crm_contact_id)
            prospect = self._link(prospect, source)
            if newly and outcome.status in (UNCHANGED, UPDATED):
                outcome.status = LINKED
            agreed = agreed_values(self.config, source.object_name, taken, prospect)
            self.state.remember(
                [Agreed(prospect.id, source.object_name, source.crm_id, agreed)], replace=newly
            )
            prospect = self._assign(
                outcome, prospect, source, only_if_unassigned=existing is not None
            )
            outcome.crm_object, outcome.crm_id = source.object_name, source.crm_id
        outcome.prospect_id, outcome.email = prospect.id, prospect.email
        return prospect

    def new_values(
        self, source: Source | None, email: str, given: Mapping[str, Any], origin: Origin
    ) -> tuple[dict[str, Any], CrmValues | None]:
        """The checked values `take` would create a prospect with, and what was taken from
        `source`; InputError (LeadbridgeError) when `add` would refuse them. `email` and
        `given` are checked already for `origin` (a CSV row's): only what Salesforce adds is
        checked here (checking is idempotent: the result is the same)."""
        taken = (
            None
            if source is None
            else crm_values(self.config, self.catalog, source.object_name, source.record)
        )
        from_crm = {} if taken is None else taken.values
        added = {name: value for name, value in from_crm.items() if name not in given}
        values = {**self.catalog.check(added, origin=origin), **given, "email": email}
        return values, taken

    def create_many(self, items: Sequence[NewProspect], *, origin: Origin) -> list[Prospect]:
        """What `take` does for each item (a new email, distinct), with a few statements for
        all: create already linked to the source (its columns in the INSERT), remember the
        agreed values, assign from the owner."""
        now = self.clock.now()
        values = [
            item.values
            if item.source is None or item.taken is None
            else {**item.values, **_link_columns(item.source, now)}
            for item in items
        ]
        created = self.prospects.add_many(values, origin=origin, actor=None, checked=True)
        agreed: list[Agreed] = []
        assignments: dict[int, int] = {}
        result: list[Prospect] = []
        for item, prospect in zip(items, created, strict=True):
            outcome, source = item.outcome, item.source
            outcome.status = CREATED
            if source is not None and item.taken is not None:
                outcome.warnings.extend(item.taken.warnings)
                agreed.append(
                    Agreed(
                        prospect.id,
                        source.object_name,
                        source.crm_id,
                        agreed_values(self.config, source.object_name, item.taken, prospect),
                    )
                )
                user_id = self._owner_user(outcome, prospect, source)
                if user_id is not None:
                    assignments[prospect.id] = user_id
                    prospect = with_values(prospect, assigned_user_id=user_id, updated_at=now)
                outcome.crm_object, outcome.crm_id = source.object_name, source.crm_id
            outcome.prospect_id, outcome.email = prospect.id, prospect.email
            result.append(prospect)
        self.state.remember(agreed, replace=True)
        if assignments:
            self.prospects.assign_new_many(assignments, origin=Origin.SALESFORCE, actor=None)
        return result

    def _owner_user(self, outcome: IntakeOutcome, prospect: Prospect, source: Source) -> int | None:
        """The active user the record's owner maps to (`_assign`'s choice for a new prospect),
        else None with `_assign`'s warning."""
        owner = source.record.get("OwnerId")
        if not owner or is_queue_id(str(owner)):
            return None
        if str(owner) not in self._owners:
            self._owners[str(owner)] = self.users.by_crm_user_id(str(owner))
        user = self._owners[str(owner)]
        if user is None or not user.active:
            why = (
                "is not mapped to a leadbridge user" if user is None else "maps to an inactive user"
            )
            outcome.warnings.append(
                f"the {source.object_name.lower()}'s owner {owner} {why}: left unassigned"
            )
            return None
        return user.id

    def _update(
        self,
        existing: Prospect,
        source: Source | None,
        from_crm: Mapping[str, Any],
        given: Mapping[str, Any],
        origin: Origin,
    ) -> tuple[Prospect, str]:
        prospect, status = existing, UNCHANGED
        if existing.recycled:
            prospect, status = (
                self.prospects.restore(existing.id, origin=origin, actor=None),
                RESTORED,
            )
        if source is not None:
            fill = fill_values(self.config, source.object_name, from_crm, prospect, given)
            if fill:
                prospect = self.prospects.update(
                    prospect.id, fill, origin=Origin.SALESFORCE, actor=None
                )
                status = UPDATED if status == UNCHANGED else status
        changes = {name: value for name, value in given.items() if prospect.value(name) != value}
        if changes:
            prospect = self.prospects.update(prospect.id, changes, origin=origin, actor=None)
            status = UPDATED if status == UNCHANGED else status
        return prospect, status

    def _link(self, prospect: Prospect, source: Source) -> Prospect:
        record = source.record
        owner = record.get("OwnerId")
        if source.object_name == CONTACT:
            account = record.get("AccountId")
            return self.prospects.link_crm(
                prospect.id,
                contact_id=source.crm_id,
                account_id=str(account) if account else None,
                owner_id=str(owner) if owner else None,
                synced_at=self.clock.now(),
            )
        return self.prospects.link_crm(
            prospect.id,
            lead_id=source.crm_id,
            owner_id=str(owner) if owner else None,
            synced_at=self.clock.now(),
        )

    def _assign(
        self,
        outcome: IntakeOutcome,
        prospect: Prospect,
        source: Source,
        *,
        only_if_unassigned: bool,
    ) -> Prospect:
        owner = source.record.get("OwnerId")
        if not owner or is_queue_id(str(owner)):
            return prospect  # a queue is no user: recorded as the owner (`_link`), no warning
        user = self.users.by_crm_user_id(str(owner))
        if user is None or not user.active:
            if prospect.assigned_user_id is None:
                why = (
                    "is not mapped to a leadbridge user"
                    if user is None
                    else "maps to an inactive user"
                )
                outcome.warnings.append(
                    f"the {source.object_name.lower()}'s owner {owner} {why}: left unassigned"
                )
            return prospect
        return self.prospects.assign(
            prospect.id,
            user.id,
            origin=Origin.SALESFORCE,
            actor=None,
            only_if_unassigned=only_if_unassigned,
        )
