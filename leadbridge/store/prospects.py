"""Prospects: the marketing database's people, identified by email among live prospects.

Every change goes through here so that its audit rows and follow-up work (outbox) are written
in the same transaction as the change itself.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.domain.paging import check_page_size
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.audit import AuditRepository
from leadbridge.store.bulk_rows import insert_rows, update_rows
from leadbridge.store.chunks import key_chunks, one_of
from leadbridge.store.models import (
    LIVE,
    RECYCLED,
    AuditRow,
    ProspectRow,
    ProspectValueRow,
    UserRow,
)
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_bulk import bulk_insert
from leadbridge.store.prospect_fields import FieldCatalog, campaign_id
from leadbridge.store.prospect_loading import load, load_by, select_prospects
from leadbridge.store.prospect_writes import (
    VALUE_KEY_LENGTH,
    email_conflicts_as_errors,
    ensure_email_free,
    set_custom_value,
)
from leadbridge.store.values import to_text

# The fields a prospect snapshot takes straight from its own row (no custom value, no campaign).
_OWN_COLUMNS = frozenset(f.name for f in fields(Prospect)) - {
    "id", "custom", "marketing_campaign", "marketing_campaign_id", "created_at", "updated_at"
}  # fmt: skip
AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]


class ProspectRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self._audit = AuditRepository(session)
        self._outbox = OutboxRepository(session, clock)

    # -- reads ---------------------------------------------------------------------------

    def get(self, prospect_id: int) -> Prospect:
        found = load(self.session, select_prospects().where(ProspectRow.id == prospect_id))
        if not found:
            raise NotFoundError(f"no prospect with id {prospect_id}")
        return found[0]

    def by_email(self, email: str) -> Prospect | None:
        """The live prospect with this email (trimmed, any case)."""
        return self.by_emails([email]).get(email_key(email))

    def recycled_by_email(self, email: str) -> builtins.list[Prospect]:
        """Prospects in the recycle bin with this email (trimmed, any case), newest first:
        several may share it, as the email is unique only among live prospects."""
        found = load_by(self.session, ProspectRow.email_key, [email_key(email)], RECYCLED)
        return sorted(found, key=lambda prospect: prospect.id, reverse=True)

    def by_emails(self, emails: Sequence[str]) -> dict[str, Prospect]:
        """Live prospects by email key (lower-cased, trimmed), in chunked IN queries."""
        keys = dict.fromkeys(email_key(email) for email in emails)
        found = load_by(self.session, ProspectRow.email_key, keys, LIVE)
        return {prospect.email_key: prospect for prospect in found}

    def by_crm_ids(self, ids: Sequence[str]) -> dict[str, Prospect]:
        """Prospects linked to these Salesforce lead or contact ids; live ones win."""
        wanted = set(ids)
        found: dict[str, Prospect] = {}
        for column in (ProspectRow.crm_lead_id, ProspectRow.crm_contact_id):
            prospects = load_by(self.session, column, wanted)
            for prospect in sorted(prospects, key=lambda p: not p.recycled):
                for crm_id in (prospect.crm_lead_id, prospect.crm_contact_id):
                    if crm_id in wanted:
                        found[crm_id] = prospect
        return found

    def by_custom_value(
        self, field_name: str, value: Any, *, limit: int = 100
    ) -> builtins.list[Prospect]:
        """Live prospects whose custom field `field_name` holds `value` (indexed lookup)."""
        catalog = FieldCatalog.load(self.session)
        if not catalog.is_custom(field_name):
            raise InputError("no such custom field", item=field_name)
        text = to_text(catalog.check({field_name: value}, origin=Origin.SYSTEM)[field_name])
        if text is None:
            raise InputError("give a value to look for", item=field_name)
        matching = select(ProspectValueRow.prospect_id).where(
            ProspectValueRow.field_id == catalog.custom_ids[field_name],
            ProspectValueRow.value_key == text[:VALUE_KEY_LENGTH],
            ProspectValueRow.value == text,
        )
        query = select_prospects().where(ProspectRow.id.in_(matching), LIVE)
        return load(self.session, query.order_by(ProspectRow.id).limit(limit))

    def list(
        self,
        *,
        limit: int = 100,
        after_id: int | None = None,
        assigned_user_id: int | None = None,
        recycled: bool = False,
    ) -> builtins.list[Prospect]:
        """A page of prospects in id order; pass the last id seen as `after_id` for the next."""
        check_page_size(limit)
        query = select_prospects().where(RECYCLED if recycled else LIVE)
        if after_id is not None:
            query = query.where(ProspectRow.id > after_id)
        if assigned_user_id is not None:
            query = query.where(ProspectRow.assigned_user_id == assigned_user_id)
        return load(self.session, query.order_by(ProspectRow.id).limit(limit))

    def count(self, *, recycled: bool = False) -> int:
        condition = RECYCLED if recycled else LIVE
        return int(self.session.scalar(select(func.count()).where(condition)) or 0)

    # -- changes -------------------------------------------------------------------------

    def add(self, values: Mapping[str, Any], *, origin: Origin, actor: str | None) -> Prospect:
        """A new prospect from field name → value (custom fields by name; email required)."""
        catalog = FieldCatalog.load(self.session)
        checked = catalog.check(values, origin=origin)
        if "email" not in checked:
            raise InputError("an email address is required", item="email")
        key = email_key(checked["email"])
        ensure_email_free(self.session, key)
        now = self.clock.now()
        columns = {name: value for name, value in checked.items() if not catalog.is_custom(name)}
        campaign = campaign_id(self.session, columns.pop("marketing_campaign", None))
        row = ProspectRow(
            **columns, email_key=key, marketing_campaign_id=campaign, created_at=now, updated_at=now
        )
        self.session.add(row)
        with email_conflicts_as_errors():
            self.session.flush()
        for name, value in checked.items():
            if catalog.is_custom(name):
                set_custom_value(self.session, row.id, catalog.custom_ids[name], value)
        self._audit.record(row.id, "prospect", None, "created", at=now, origin=origin, actor=actor)
        return self._after_change(row.id)

    def update(
        self, prospect_id: int, changes: Mapping[str, Any], *, origin: Origin, actor: str | None
    ) -> Prospect:
        """Apply changes; one audit row per field whose value really changes.

        A syncable prospect changed by anyone but Salesforce gets a "push" outbox item."""
        before = self._live(prospect_id)
        catalog = FieldCatalog.load(self.session)
        checked = catalog.check(changes, origin=origin)
        changed = {name: value for name, value in checked.items() if before.value(name) != value}
        if not changed:
            return before
        now = self.clock.now()
        row = self._row(prospect_id)
        for name, value in changed.items():
            self._set(row, catalog, name, value)
            self._audit.record(
                prospect_id,
                name,
                to_text(before.value(name)),
                to_text(value),
                at=now,
                origin=origin,
                actor=actor,
            )
        row.updated_at = now
        with email_conflicts_as_errors():
            self.session.flush()
        after = self._after_change(prospect_id)
        if after.syncable and origin is not Origin.SALESFORCE:
            self._outbox.enqueue(PUSH, prospect_id, "changed: " + ", ".join(sorted(changed)))
        return after

    def assign(
        self,
        prospect_id: int,
        user_id: int | None,
        *,
        origin: Origin,
        actor: str | None,
        only_if_unassigned: bool = False,
    ) -> Prospect:
        """Assign to a user (None unassigns). Becoming assigned makes a prospect sync, so a
        "push" outbox item is written with the assignment when it is syncable."""
        before = self._live(prospect_id)
        if before.assigned_user_id == user_id or (
            only_if_unassigned and before.assigned_user_id is not None
        ):
            return before
        if user_id is not None:
            self._check_assignable(user_id)
        now = self.clock.now()
        row = self._row(prospect_id)
        row.assigned_user_id, row.updated_at = user_id, now
        self._audit.record(
            prospect_id,
            "assigned_user_id",
            to_text(before.assigned_user_id),
            to_text(user_id),
            at=now,
            origin=origin,
            actor=actor,
        )
        self.session.flush()
        after = self._after_change(prospect_id)
        if user_id is not None and after.syncable:
            self._outbox.enqueue(PUSH, prospect_id, "assigned")
        return after

    def recycle(
        self, prospect_id: int, *, origin: Origin, actor: str | None, deleted_in_crm: bool = False
    ) -> Prospect:
        """Send to the recycle bin; its email becomes free for a new prospect."""
        row = self._row(prospect_id)
        if row.recycled:
            row.deleted_in_crm = row.deleted_in_crm or deleted_in_crm
            self.session.flush()
            return self._after_change(prospect_id)
        now = self.clock.now()
        row.recycled, row.deleted_in_crm, row.updated_at = True, deleted_in_crm, now
        self._audit.record(
            prospect_id, "recycled", "false", "true", at=now, origin=origin, actor=actor
        )
        self.session.flush()
        return self._after_change(prospect_id)

    def restore(self, prospect_id: int, *, origin: Origin, actor: str | None) -> Prospect:
        """Take out of the recycle bin; ConflictError if a live prospect has its email now."""
        row = self._row(prospect_id)
        if not row.recycled:
            return self.get(prospect_id)
        ensure_email_free(self.session, row.email_key, except_id=prospect_id)
        now = self.clock.now()
        row.recycled, row.deleted_in_crm, row.updated_at = False, False, now
        self._audit.record(
            prospect_id, "recycled", "true", "false", at=now, origin=origin, actor=actor
        )
        with email_conflicts_as_errors():
            self.session.flush()
        after = self._after_change(prospect_id)
        if after.syncable and origin is not Origin.SALESFORCE:
            self._outbox.enqueue(PUSH, prospect_id, "restored")
        return after

    def link_crm(
        self,
        prospect_id: int,
        *,
        lead_id: str | None = None,
        contact_id: str | None = None,
        account_id: str | None = None,
        owner_id: str | None = None,
        synced_at: datetime | None = None,
    ) -> Prospect:
        """Record the Salesforce records a prospect is linked to (None leaves an id as is).

        Not a field change: no audit row, and `updated_at` is left alone so that a sync
        does not look like a local edit."""
        row = self._row(prospect_id)
        for attribute, value in (
            ("crm_lead_id", lead_id),
            ("crm_contact_id", contact_id),
            ("crm_account_id", account_id),
            ("crm_owner_id", owner_id),
            ("last_crm_sync_at", synced_at),
        ):
            if value is not None:
                setattr(row, attribute, value)
        self.session.flush()
        return self.get(prospect_id)

    def unlink_crm(
        self,
        prospect_id: int,
        *,
        lead: bool = False,
        contact: bool = False,
        account: bool = False,
        owner: bool = False,
    ) -> Prospect:
        """Forget Salesforce ids (a converted lead, a deleted contact)."""
        row = self._row(prospect_id)
        for attribute, clear in (
            ("crm_lead_id", lead),
            ("crm_contact_id", contact),
            ("crm_account_id", account),
            ("crm_owner_id", owner),
        ):
            if clear:
                setattr(row, attribute, None)
        self.session.flush()
        return self.get(prospect_id)

    def add_many(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        origin: Origin,
        actor: str | None,
        checked: bool = False,
    ) -> builtins.list[Prospect]:
        """New prospects as `add` makes them (checked, one "created" audit row each), with a
        few statements for all of them; in the order of `rows`. The emails must be distinct
        and free (ConflictError names the ones taken, and nothing is written). `checked`: the
        rows are `FieldCatalog.check`'s output for `origin` already; they may then also hold
        the Salesforce link's columns (`link_crm`'s: crm_lead_id, crm_contact_id,
        crm_account_id, crm_owner_id, last_crm_sync_at), written with the rest."""
        if not rows:
            return []
        now = self.clock.now()
        ids: dict[str, int] = {}
        bulk_insert(self.session, rows, origin=origin, now=now, checked=checked, ids=ids)
        if not checked:
            catalog = FieldCatalog.load(self.session)
            rows = [catalog.check(row, origin=origin) for row in rows]
        prospects = self._inserted(rows, now, ids)
        insert_rows(
            self.session.connection(),
            AUDIT,
            [
                {
                    "prospect_id": prospect.id,
                    "field": "prospect",
                    "old_value": None,
                    "new_value": "created",
                    "at": now,
                    "origin": Origin(origin),
                    "actor": actor,
                }
                for prospect in prospects
            ],
        )
        return prospects

    def _inserted(
        self, checked: Sequence[Mapping[str, Any]], now: datetime, ids: dict[str, int]
    ) -> builtins.list[Prospect]:
        """The snapshots of prospects just inserted from `checked` rows: built from their
        values and their ids (`ids` when the insert gave them back, else one light query)
        when they hold only columns of their own (the common case), else read back."""
        keys = [email_key(str(values["email"])) for values in checked]
        if any(set(values) - _OWN_COLUMNS for values in checked):
            found = self.by_emails(keys)
            return [found[key] for key in keys]
        missing = [key for key in keys if key not in ids]
        for chunk in key_chunks(self.session, missing):
            query = select(ProspectRow.email_key, ProspectRow.id).where(
                one_of(self.session, ProspectRow.email_key, chunk), LIVE
            )
            ids.update((key, pid) for key, pid in self.session.execute(query))
        return [
            Prospect(id=ids[key], created_at=now, updated_at=now, **values)
            for key, values in zip(keys, checked, strict=True)
        ]

    def assign_new_many(
        self, assignments: Mapping[int, int], *, origin: Origin, actor: str | None
    ) -> None:
        """`assign` for many unassigned prospects (prospect id → active user id): the
        assignment, its audit row and, each being syncable, a "push" outbox item."""
        if not assignments:
            return
        now = self.clock.now()
        self._update_many(
            [
                {"_id": prospect_id, "assigned_user_id": user_id, "updated_at": now}
                for prospect_id, user_id in assignments.items()
            ]
        )
        insert_rows(
            self.session.connection(),
            AUDIT,
            [
                {
                    "prospect_id": prospect_id,
                    "field": "assigned_user_id",
                    "old_value": None,
                    "new_value": to_text(user_id),
                    "at": now,
                    "origin": Origin(origin),
                    "actor": actor,
                }
                for prospect_id, user_id in assignments.items()
            ],
        )
        syncable = self.session.scalars(
            select(ProspectRow.id).where(
                one_of(self.session, ProspectRow.id, list(assignments)),
                ProspectRow.do_not_sync.is_(False),
                LIVE,
            )
        )
        self._outbox.enqueue_many(PUSH, sorted(syncable), "assigned")

    def _update_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement per set of columns; each mapping holds "_id" and the columns."""
        table: Table = ProspectRow.__table__  # type: ignore[assignment]
        update_rows(self.session.connection(), table, rows)

    def bulk_insert(self, rows: Iterable[Mapping[str, Any]], *, origin: Origin) -> int:
        """Insert many prospects fast (no audit rows, no outbox items); how many."""
        return bulk_insert(self.session, rows, origin=origin, now=self.clock.now())

    # -- helpers -------------------------------------------------------------------------

    def _row(self, prospect_id: int) -> ProspectRow:
        row = self.session.get(ProspectRow, prospect_id)
        if row is None:
            raise NotFoundError(f"no prospect with id {prospect_id}")
        return row

    def _live(self, prospect_id: int) -> Prospect:
        prospect = self.get(prospect_id)
        if prospect.recycled:
            raise ConflictError(f"prospect {prospect_id} is in the recycle bin: restore it first")
        return prospect

    def _after_change(self, prospect_id: int) -> Prospect:
        self.session.flush()
        return self.get(prospect_id)

    def _set(self, row: ProspectRow, catalog: FieldCatalog, name: str, value: Any) -> None:
        if catalog.is_custom(name):
            set_custom_value(self.session, row.id, catalog.custom_ids[name], value)
        elif name == "email":
            ensure_email_free(self.session, email_key(value), except_id=row.id)
            row.email, row.email_key = value, email_key(value)
        elif name == "marketing_campaign":
            row.marketing_campaign_id = campaign_id(self.session, value)
        else:
            setattr(row, name, value)

    def _check_assignable(self, user_id: int) -> None:
        user = self.session.get(UserRow, user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        if not user.active:
            raise InputError(f"user {user.email} is inactive", item="user")
