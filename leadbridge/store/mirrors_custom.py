"""Mirrored custom objects: the types an admin enabled, and their records as JSON values.

A type is enabled by adding it here (`enable`); its `fields` keep the described fields
(name, label, type, reference_to) so the sync knows which lookups point at a lead, contact
or account. Only `__c` objects count as custom objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.store.mirrors import MirrorRepository, by_crm_id
from leadbridge.store.models import CrmAccountRow, CustomObjectRecordRow, CustomObjectTypeRow

LOOKUP_TARGETS = ("Lead", "Contact", "Account")


@dataclass(frozen=True)
class CustomObjectType:
    api_name: str
    label: str
    fields: list[dict[str, Any]]
    synced_at: datetime | None

    def lookups(self) -> dict[str, str]:
        """Reference field → Lead, Contact or Account (the first it points to)."""
        found: dict[str, str] = {}
        for spec in self.fields:
            targets = [t for t in spec.get("reference_to") or [] if t in LOOKUP_TARGETS]
            if targets:
                found[str(spec["name"])] = targets[0]
        return found


@dataclass(frozen=True)
class CustomRecordData:
    crm_id: str
    values: Mapping[str, Any]
    person_crm_id: str | None  # the lead or contact it looks up to
    account_crm_id: str | None
    modified_at: datetime | None


@dataclass(frozen=True)
class MirroredRecord:
    crm_id: str
    values: dict[str, Any]
    prospect_id: int | None
    account_crm_id: str | None
    synced_at: datetime | None


def _snapshot(row: CustomObjectTypeRow) -> CustomObjectType:
    return CustomObjectType(row.api_name, row.label, list(row.fields or []), row.synced_at)


class CustomObjectRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enable(
        self, api_name: str, label: str, fields: Sequence[Mapping[str, Any]], at: datetime
    ) -> CustomObjectType:
        row = self._row(api_name) or CustomObjectTypeRow(api_name=api_name)
        row.label, row.fields, row.synced_at = label, [dict(f) for f in fields], at
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def enabled(self) -> list[CustomObjectType]:
        query = select(CustomObjectTypeRow).where(
            CustomObjectTypeRow.api_name.like("%\\_\\_c", escape="\\")
        )
        return [
            _snapshot(row)
            for row in self.session.scalars(query.order_by(CustomObjectTypeRow.api_name))
        ]

    def get(self, api_name: str) -> CustomObjectType:
        row = self._row(api_name)
        if row is None or not row.api_name.endswith("__c"):
            raise NotFoundError(
                f"{api_name} is not mirrored: enable it with `leadbridge custom-objects enable`"
            )
        return _snapshot(row)

    def upsert_records(
        self, api_name: str, records: Sequence[CustomRecordData], at: datetime
    ) -> int:
        """Records that look up to a synced prospect or a mirrored/linked account."""
        row_type = self._row(api_name)
        if row_type is None:
            raise NotFoundError(f"{api_name} is not mirrored")
        mirrors = MirrorRepository(self.session)
        people = mirrors.prospects_by_person(r.person_crm_id for r in records if r.person_crm_id)
        accounts = by_crm_id(
            self.session,
            CrmAccountRow,
            sorted({r.account_crm_id for r in records if r.account_crm_id}),
        )
        existing = by_crm_id(self.session, CustomObjectRecordRow, [r.crm_id for r in records])
        stored = 0
        for record in records:
            prospect_id = people.get(record.person_crm_id or "")
            account = accounts.get(record.account_crm_id or "")
            if prospect_id is None and account is None:
                continue
            row = existing.get(record.crm_id) or CustomObjectRecordRow(
                crm_id=record.crm_id, type_id=row_type.id
            )
            row.values = dict(record.values)
            row.prospect_id = prospect_id
            row.account_id = None if account is None else account.id
            row.crm_modified_at, row.synced_at = record.modified_at, at
            self.session.add(row)
            stored += 1
        self.session.flush()
        return stored

    def records(self, api_name: str, *, limit: int = 100) -> list[MirroredRecord]:
        row_type = self.get(api_name)
        type_id = self._row(row_type.api_name)
        assert type_id is not None
        query = (
            select(CustomObjectRecordRow, CrmAccountRow.crm_id)
            .outerjoin(CrmAccountRow, CrmAccountRow.id == CustomObjectRecordRow.account_id)
            .where(CustomObjectRecordRow.type_id == type_id.id)
            .order_by(CustomObjectRecordRow.id)
            .limit(limit)
        )
        return [
            MirroredRecord(
                row.crm_id, dict(row.values or {}), row.prospect_id, account, row.synced_at
            )
            for row, account in self.session.execute(query).all()
        ]

    def _row(self, api_name: str) -> CustomObjectTypeRow | None:
        return self.session.scalar(
            select(CustomObjectTypeRow).where(CustomObjectTypeRow.api_name == api_name)
        )
