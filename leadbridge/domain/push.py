"""Push rules in plain words: whether a prospect may go to Salesforce, what kind of error a
refusal is, and when a failed push is tried again.

`push_blockers` is the one place that says why a prospect does not sync; the sync engine
obeys it and `leadbridge why` prints it. The other push rules live next door:
`matching` (which record), `push_record` (what to write), `field_rules` (which side wins),
`preflight` (what Salesforce would refuse) and `crm_values.is_echo` (for the pull).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from leadbridge.domain.crm_values import is_echo
from leadbridge.domain.error_kind import ErrorKind as ErrorKind
from leadbridge.domain.matching import MULTIPLE_MATCHES
from leadbridge.domain.preflight import PREFIX as PREFLIGHT_PREFIX
from leadbridge.domain.push_record import USER_NOT_MAPPED
from leadbridge.errors import (
    CrmConfigurationError,
    CrmDuplicateError,
    CrmError,
    CrmGoneError,
    CrmLimitError,
    CrmPermissionError,
    CrmTransientError,
    crm_error,
)

__all__ = [
    "Blocker",
    "BlockerCode",
    "ErrorKind",
    "PushFacts",
    "error_kind",
    "is_echo",
    "may_push",
    "push_blockers",
    "retry_delay",
    "user_not_mapped_message",
]

CAMPAIGN_NOT_FOUND = "CAMPAIGN_NOT_FOUND"
RECORD_NOT_FOUND = "RECORD_NOT_FOUND"
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


class BlockerCode(StrEnum):
    NOT_ASSIGNED = "not_assigned"
    DO_NOT_SYNC = "do_not_sync"
    RECYCLED = "recycled"
    DELETED_IN_CRM = "deleted_in_crm"
    PAUSED = "paused"
    USER_NOT_MAPPED = "user_not_mapped"


@dataclass(frozen=True)
class PushFacts:
    """What decides whether one prospect may be pushed now."""

    assigned: bool
    linked: bool  # it has a Salesforce lead or contact id
    do_not_sync: bool = False
    recycled: bool = False
    deleted_in_crm: bool = False
    paused: bool = False
    manual: bool = False  # someone asked for this sync ("sync with CRM")
    assigned_user: str | None = None  # the assigned user's email
    assigned_user_mapped: bool = True  # the assigned user has a Salesforce user
    # Salesforce's lead assignment rule is to pick the owner (`prospects assign
    # --salesforce-rule`, the assign_salesforce_rule action): no leadbridge owner needed.
    rule_assignment: bool = False


@dataclass(frozen=True)
class Blocker:
    code: BlockerCode
    message: str
    creation_only: bool = False  # stops creating a Salesforce record, not updating one


def push_blockers(facts: PushFacts) -> list[Blocker]:
    """Every reason the prospect is not pushed now, most fundamental first."""
    found: list[Blocker] = []
    if facts.recycled:
        found.append(
            Blocker(
                BlockerCode.RECYCLED,
                "It is in the recycle bin; restore it to sync it again.",
            )
        )
    if facts.deleted_in_crm:
        found.append(
            Blocker(
                BlockerCode.DELETED_IN_CRM,
                "Its Salesforce record was deleted, so leadbridge will not create it again.",
            )
        )
    if facts.do_not_sync:
        found.append(
            Blocker(
                BlockerCode.DO_NOT_SYNC,
                'It is marked "do not sync with CRM"; clear do_not_sync to sync it.',
            )
        )
    if not facts.assigned and not facts.linked and not facts.rule_assignment:
        found.append(
            Blocker(
                BlockerCode.NOT_ASSIGNED,
                "It is not assigned to a user, and only assigned prospects go to Salesforce; "
                "assign it (`leadbridge prospects assign EMAIL USER`).",
            )
        )
    if facts.paused and not facts.manual:
        found.append(
            Blocker(
                BlockerCode.PAUSED,
                "The connector is paused: only a manual sync (`leadbridge sync prospect "
                "EMAIL`) pushes it until `leadbridge connector resume`.",
            )
        )
    if (
        facts.assigned
        and not facts.linked
        and not facts.assigned_user_mapped
        and not facts.rule_assignment
    ):
        found.append(
            Blocker(
                BlockerCode.USER_NOT_MAPPED,
                user_not_mapped_message(facts.assigned_user),
                creation_only=True,
            )
        )
    return found


def may_push(facts: PushFacts) -> bool:
    """Whether to push at all (creation-only blockers are checked once matching says a new
    record is needed)."""
    return not any(not blocker.creation_only for blocker in push_blockers(facts))


def user_not_mapped_message(user: str | None) -> str:
    who = user or "the assigned user"
    return (
        f"{who} is not mapped to a Salesforce user, so leadbridge cannot choose the new "
        f"lead's owner (it never falls back to the connector user). Map the user with "
        f"`leadbridge users map {user or 'EMAIL'} SALESFORCE_USERNAME` and sync again."
    )


_OURS: dict[str, ErrorKind] = {
    USER_NOT_MAPPED: ErrorKind.CONFIGURATION,
    MULTIPLE_MATCHES: ErrorKind.DUPLICATE,
    CAMPAIGN_NOT_FOUND: ErrorKind.GONE,
    RECORD_NOT_FOUND: ErrorKind.GONE,
}
_GROUPS: tuple[tuple[type[CrmError], ErrorKind], ...] = (
    (CrmLimitError, ErrorKind.LIMIT),  # before its base class, CrmTransientError
    (CrmTransientError, ErrorKind.TRANSIENT),
    (CrmDuplicateError, ErrorKind.DUPLICATE),
    (CrmGoneError, ErrorKind.GONE),
    (CrmPermissionError, ErrorKind.PERMISSION),
    (CrmConfigurationError, ErrorKind.CONFIGURATION),
)


def error_kind(error_code: str, *, status: int | None = None) -> ErrorKind:
    """The kind of a sync error from its code (Salesforce's or one of leadbridge's own);
    pre-flight refusals are data errors."""
    if error_code.startswith(PREFLIGHT_PREFIX):
        return ErrorKind.DATA
    if error_code in _OURS:
        return _OURS[error_code]
    error = crm_error(error_code, "", status=status)
    return next((kind for group, kind in _GROUPS if isinstance(error, group)), ErrorKind.DATA)


def retry_delay(kind: ErrorKind, attempts: int) -> timedelta | None:
    """When to try a failed push again: transient errors back off exponentially (30 s, 1 min,
    2 min … at most 1 h); others wait until the prospect changes or someone retries (None),
    so records that will never succeed do not flood Salesforce with retries."""
    if kind is not ErrorKind.TRANSIENT:
        return None
    return min(FIRST_RETRY * (1 << min(max(attempts, 0), 16)), LAST_RETRY)
