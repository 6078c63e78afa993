"""Field mappings: prospect field ↔ Lead and Contact fields, and account field ↔ Account field."""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadbridge.domain.fields import DEFAULT_FIELD_NAMES, SyncBehaviour
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store.models import AccountFieldMappingRow, CustomFieldRow, FieldMappingRow

CRM_OBJECTS = ("Lead", "Contact")
_ACCOUNT_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class FieldMapping:
    field_name: str
    lead_field: str | None
    contact_field: str | None
    behaviour: SyncBehaviour
    blank_overwrites: bool = False
    is_default: bool = False

    def crm_field(self, object_name: str) -> str | None:
        """The mapped field on "Lead" or "Contact"."""
        return self.lead_field if object_name == "Lead" else self.contact_field


@dataclass(frozen=True)
class AccountFieldMapping:
    field: str
    account_field: str


def _snapshot(row: FieldMappingRow) -> FieldMapping:
    return FieldMapping(
        row.field_name,
        row.lead_field,
        row.contact_field,
        row.behaviour,
        row.blank_overwrites,
        row.is_default,
    )


def _behaviour(raw: str) -> SyncBehaviour:
    try:
        return SyncBehaviour(raw)
    except ValueError:
        choices = ", ".join(SyncBehaviour)
        raise InputError(f"{raw!r} is not one of {choices}", item="sync behaviour") from None


class FieldMappingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self) -> builtins.list[FieldMapping]:
        rows = self.session.scalars(select(FieldMappingRow).order_by(FieldMappingRow.field_name))
        return [_snapshot(row) for row in rows]

    def get(self, field_name: str) -> FieldMapping | None:
        row = self._row(field_name)
        return None if row is None else _snapshot(row)

    def upsert(
        self,
        field_name: str,
        *,
        lead_field: str | None,
        contact_field: str | None,
        behaviour: SyncBehaviour | str,
        blank_overwrites: bool = False,
        is_default: bool = False,
    ) -> FieldMapping:
        """Create or replace a field's mapping; refuses a Salesforce field mapped elsewhere."""
        self._check_field(field_name)
        for object_name, api_name in (("Lead", lead_field), ("Contact", contact_field)):
            holder = None if api_name is None else self.by_crm_field(object_name, api_name)
            if holder is not None and holder.field_name != field_name:
                raise ConflictError(
                    f"{object_name}.{api_name} is already mapped to {holder.field_name}"
                )
        row = self._row(field_name) or FieldMappingRow(field_name=field_name)
        row.lead_field, row.contact_field = lead_field, contact_field
        row.behaviour, row.blank_overwrites = _behaviour(behaviour), blank_overwrites
        row.is_default = is_default
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def by_crm_field(self, object_name: str, api_name: str) -> FieldMapping | None:
        """The mapping that uses `api_name` on "Lead" or "Contact" (API names ignore case)."""
        if object_name not in CRM_OBJECTS:
            raise InputError(f"must be one of {', '.join(CRM_OBJECTS)}", item="object")
        column = (
            FieldMappingRow.lead_field if object_name == "Lead" else FieldMappingRow.contact_field
        )
        row = self.session.scalar(
            select(FieldMappingRow).where(func.lower(column) == api_name.lower())
        )
        return None if row is None else _snapshot(row)

    def delete(self, field_name: str) -> None:
        row = self._row(field_name)
        if row is None:
            raise NotFoundError(f"field {field_name!r} is not mapped")
        self.session.delete(row)
        self.session.flush()

    def list_account(self) -> builtins.list[AccountFieldMapping]:
        rows = self.session.scalars(
            select(AccountFieldMappingRow).order_by(AccountFieldMappingRow.field)
        )
        return [AccountFieldMapping(row.field, row.account_field) for row in rows]

    def upsert_account(self, field: str, account_field: str) -> AccountFieldMapping:
        if not _ACCOUNT_FIELD.match(field):
            raise InputError("use lower-case letters, digits and underscores", item=field)
        holder = self.session.scalar(
            select(AccountFieldMappingRow).where(
                func.lower(AccountFieldMappingRow.account_field) == account_field.lower()
            )
        )
        if holder is not None and holder.field != field:
            raise ConflictError(f"Account.{account_field} is already mapped to {holder.field}")
        row = self.session.get(AccountFieldMappingRow, field) or AccountFieldMappingRow(field=field)
        row.account_field = account_field
        self.session.add(row)
        self.session.flush()
        return AccountFieldMapping(row.field, row.account_field)

    def delete_account(self, field: str) -> None:
        row = self.session.get(AccountFieldMappingRow, field)
        if row is None:
            raise NotFoundError(f"account field {field!r} is not mapped")
        self.session.delete(row)
        self.session.flush()

    def _row(self, field_name: str) -> FieldMappingRow | None:
        return self.session.scalar(
            select(FieldMappingRow).where(FieldMappingRow.field_name == field_name)
        )

    def _check_field(self, field_name: str) -> None:
        if field_name in DEFAULT_FIELD_NAMES:
            return
        exists = self.session.scalar(
            select(CustomFieldRow.id).where(CustomFieldRow.name == field_name)
        )
        if exists is None:
            raise NotFoundError(f"no prospect field named {field_name!r}")
