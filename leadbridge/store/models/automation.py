"""Automation: rules and what they matched, user groups for round-robin, form handlers and
the submissions they received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# The modules of the tables our foreign keys point at: loaded with us, always.
import leadbridge.store.models.prospects
import leadbridge.store.models.users  # noqa: F401
from leadbridge.store.models.base import Base
from leadbridge.store.types import Json, UtcDateTime


class AutomationRuleRow(Base):
    """A rule: criteria (JSON) matched all/any, actions (JSON), and how often it fires.

    `repeat_after_days` None fires once per prospect; a number lets a prospect that still (or
    again) matches fire the rule again that many days after it last did (0: every time)."""

    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    match: Mapped[str] = mapped_column(String(3))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    active: Mapped[bool] = mapped_column(default=False)
    repeat_after_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("match IN ('all', 'any')", name="match"),
        CheckConstraint("repeat_after_days IS NULL OR repeat_after_days >= 0", name="repeat"),
    )


class RuleMatchRow(Base):
    """That a rule fired for a prospect: what makes once-per-prospect rules fire once."""

    __tablename__ = "automation_rule_matches"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="CASCADE"), primary_key=True
    )
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    first_fired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_fired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    times: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_automation_rule_matches_prospect_id", "prospect_id"),)


class UserGroupRow(Base):
    """Users to assign prospects to in turn. `last_position` is the durable round-robin
    pointer: the position of the member assigned last (None: nobody yet)."""

    __tablename__ = "user_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    last_position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserGroupMemberRow(Base):
    """A member of a group, at a position in the round-robin order."""

    __tablename__ = "user_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("user_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("group_id", "position"),
        Index("ix_user_group_members_user_id", "user_id"),
    )


class FormHandlerRow(Base):
    """A public endpoint a website form posts to, and what to do with each post."""

    __tablename__ = "form_handlers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    public_id: Mapped[str] = mapped_column(String(32))  # in the URL: random, not guessable
    active: Mapped[bool] = mapped_column(default=True)
    reject_unknown: Mapped[bool] = mapped_column(default=False)
    field_map: Mapped[dict[str, str]] = mapped_column(Json)
    required: Mapped[list[str]] = mapped_column(Json)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_form_handlers_public_id", "public_id", unique=True),)


class FormSubmissionRow(Base):
    """One accepted post: the prospect's activity (payload kept without secrets)."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handler_id: Mapped[int] = mapped_column(ForeignKey("form_handlers.id", ondelete="CASCADE"))
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    # Set when the post went through the form spool: a post drained twice lands once.
    spool_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        Index("ix_form_submissions_prospect_id", "prospect_id", "id"),
        Index("ix_form_submissions_handler_id", "handler_id", "id"),
        Index("ix_form_submissions_spool_id", "spool_id", unique=True),
    )


class FormPostRow(Base):
    """A form post as received, waiting to be applied (PostgreSQL's form intake: see
    automation/form_posts.py). `status` is pending, done or failed; `payload` is the post as
    sent until it is applied, then without secrets (like the activity's)."""

    __tablename__ = "form_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handler_id: Mapped[int] = mapped_column(ForeignKey("form_handlers.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    client: Mapped[str | None] = mapped_column(String(64))  # the poster's address, for logs
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(1000))
    submission_id: Mapped[int | None] = mapped_column(Integer)  # the form_submissions row

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
        Index("ix_form_posts_status_id", "status", "id"),
    )
