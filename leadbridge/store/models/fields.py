"""Custom field definitions and the prospect ↔ Salesforce field mappings."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.domain.fields import FieldType, SyncBehaviour
from leadbridge.store.models.base import Base, one_of
from leadbridge.store.types import Json, StrEnumType


class CustomFieldRow(Base):
    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    label: Mapped[str] = mapped_column(String(255))
    type: Mapped[FieldType] = mapped_column(StrEnumType(FieldType))
    options: Mapped[list[str]] = mapped_column(Json, default=list)
    # The Salesforce API name it maps to on both Lead and Contact, once mapped.
    crm_field: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (CheckConstraint(one_of("type", FieldType), name="type"),)


class FieldMappingRow(Base):
    """A prospect field (default or custom, by name) ↔ its Lead and Contact fields."""

    __tablename__ = "field_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field_name: Mapped[str] = mapped_column(String(63), unique=True)
    lead_field: Mapped[str | None] = mapped_column(String(255))
    contact_field: Mapped[str | None] = mapped_column(String(255))
    behaviour: Mapped[SyncBehaviour] = mapped_column(StrEnumType(SyncBehaviour))
    # Off: a non-blank value always beats a blank one; on: clearing a field syncs too.
    blank_overwrites: Mapped[bool] = mapped_column(default=False)
    is_default: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (CheckConstraint(one_of("behaviour", SyncBehaviour), name="behaviour"),)


class AccountFieldMappingRow(Base):
    """A prospect account field ↔ its Account field (pulled only)."""

    __tablename__ = "account_field_mappings"

    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    account_field: Mapped[str] = mapped_column(String(255), unique=True)
