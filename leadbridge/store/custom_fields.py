"""Custom prospect field definitions."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.fields import FieldType, check_custom_field_name
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store.models import CustomFieldRow
from leadbridge.store.values import FieldSpec

OPTION_TYPES = frozenset({FieldType.DROPDOWN, FieldType.MULTISELECT})


@dataclass(frozen=True)
class CustomField:
    id: int
    name: str
    label: str
    type: FieldType
    options: tuple[str, ...]
    crm_field: str | None

    @property
    def spec(self) -> FieldSpec:
        return FieldSpec(self.name, self.type, options=self.options)


def _snapshot(row: CustomFieldRow) -> CustomField:
    return CustomField(row.id, row.name, row.label, row.type, tuple(row.options), row.crm_field)


def _clean_options(field_type: FieldType, options: Sequence[str]) -> builtins.list[str]:
    cleaned: list[str] = []
    for option in options:
        value = option.strip()
        if not value or ";" in value:
            raise InputError(f"{option!r} is blank or contains ';'", item="options")
        if value not in cleaned:
            cleaned.append(value)
    if cleaned and field_type not in OPTION_TYPES:
        raise InputError(f"a {field_type} field takes no options", item="options")
    return cleaned


class CustomFieldRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        name: str,
        label: str,
        type: FieldType,
        options: Sequence[str] = (),
        crm_field: str | None = None,
    ) -> CustomField:
        check_custom_field_name(name)
        if self._row(name) is not None:
            raise ConflictError(f"a custom field named {name!r} already exists")
        row = CustomFieldRow(
            name=name,
            label=label.strip() or name,
            type=FieldType(type),
            options=_clean_options(FieldType(type), options),
            crm_field=crm_field,
        )
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def get_by_name(self, name: str) -> CustomField:
        return _snapshot(self._existing(name))

    def find(self, name: str) -> CustomField | None:
        row = self._row(name)
        return None if row is None else _snapshot(row)

    def list(self) -> builtins.list[CustomField]:
        rows = self.session.scalars(select(CustomFieldRow).order_by(CustomFieldRow.name))
        return [_snapshot(row) for row in rows]

    def set_crm_field(self, name: str, api_name: str | None) -> CustomField:
        row = self._existing(name)
        row.crm_field = api_name
        self.session.flush()
        return _snapshot(row)

    def set_options(self, name: str, options: Sequence[str]) -> CustomField:
        row = self._existing(name)
        row.options = _clean_options(row.type, options)
        self.session.flush()
        return _snapshot(row)

    def _row(self, name: str) -> CustomFieldRow | None:
        return self.session.scalar(select(CustomFieldRow).where(CustomFieldRow.name == name))

    def _existing(self, name: str) -> CustomFieldRow:
        row = self._row(name)
        if row is None:
            raise NotFoundError(f"no custom field named {name!r}")
        return row
