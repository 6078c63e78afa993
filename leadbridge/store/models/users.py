"""leadbridge users and their one-to-one link to a Salesforce user."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadbridge.domain.access import UserRole
from leadbridge.store.models.base import Base, one_of
from leadbridge.store.types import StrEnumType

__all__ = ["CrmUserLinkRow", "UserRole", "UserRow"]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    # lower(trim(email)): unique, so two users never differ only by case.
    email_key: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(StrEnumType(UserRole))
    active: Mapped[bool] = mapped_column(default=True)
    # argon2 hash; None: this user cannot sign in to the console (yet).
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    crm_link: Mapped[CrmUserLinkRow | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="joined"
    )

    __table_args__ = (CheckConstraint(one_of("role", UserRole), name="role"),)


class CrmUserLinkRow(Base):
    """The Salesforce user a leadbridge user is (one-to-one both ways)."""

    __tablename__ = "user_crm_links"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    crm_user_id: Mapped[str] = mapped_column(String(18), unique=True)
    crm_username: Mapped[str] = mapped_column(String(255), unique=True)
    user: Mapped[UserRow] = relationship(back_populates="crm_link")
