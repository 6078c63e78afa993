"""Whether a prospect may be pushed, error kinds and the retry policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadbridge.domain.push import (
    BlockerCode,
    ErrorKind,
    PushFacts,
    error_kind,
    may_push,
    push_blockers,
    retry_delay,
)


def codes(**facts: object) -> list[BlockerCode]:
    given: dict[str, object] = {"assigned": True, "linked": False, **facts}
    return [blocker.code for blocker in push_blockers(PushFacts(**given))]  # type: ignore[arg-type]


def test_an_assigned_prospect_may_be_pushed() -> None:
    assert codes() == []
    assert may_push(PushFacts(assigned=True, linked=False))


def test_blockers_in_plain_words() -> None:
    assert codes(assigned=False) == [BlockerCode.NOT_ASSIGNED]
    assert codes(assigned=False, linked=True) == []  # a linked record is kept up to date
    assert codes(do_not_sync=True) == [BlockerCode.DO_NOT_SYNC]
    assert codes(recycled=True, deleted_in_crm=True) == [
        BlockerCode.RECYCLED,
        BlockerCode.DELETED_IN_CRM,
    ]
    [paused] = push_blockers(PushFacts(assigned=True, linked=True, paused=True))
    assert "paused" in paused.message
    assert codes(paused=True, manual=True) == []  # "sync with CRM" works while paused


def test_an_unmapped_user_only_stops_creating_a_record() -> None:
    facts = PushFacts(
        assigned=True, linked=False, assigned_user="rep@x.com", assigned_user_mapped=False
    )
    [blocker] = push_blockers(facts)
    assert blocker.code is BlockerCode.USER_NOT_MAPPED
    assert blocker.creation_only
    assert "leadbridge users map rep@x.com" in blocker.message
    assert may_push(facts)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("SERVER_UNAVAILABLE", ErrorKind.TRANSIENT),
        ("REQUEST_LIMIT_EXCEEDED", ErrorKind.LIMIT),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION", ErrorKind.DATA),
        ("PREFLIGHT_STRING_TOO_LONG", ErrorKind.DATA),
        ("DUPLICATES_DETECTED", ErrorKind.DUPLICATE),
        ("MULTIPLE_MATCHES", ErrorKind.DUPLICATE),
        ("ENTITY_IS_DELETED", ErrorKind.GONE),
        ("INACTIVE_OWNER_OR_USER", ErrorKind.PERMISSION),
        ("USER_NOT_MAPPED", ErrorKind.CONFIGURATION),
        ("SOMETHING_NEW", ErrorKind.DATA),
    ],
)
def test_error_kinds(code: str, kind: ErrorKind) -> None:
    assert error_kind(code) is kind


def test_only_transient_errors_retry_by_themselves_with_backoff() -> None:
    assert retry_delay(ErrorKind.TRANSIENT, 0) == timedelta(seconds=30)
    assert retry_delay(ErrorKind.TRANSIENT, 3) == timedelta(minutes=4)
    assert retry_delay(ErrorKind.TRANSIENT, 500) == timedelta(hours=1)
    for kind in ErrorKind:
        if kind is not ErrorKind.TRANSIENT:
            assert retry_delay(kind, 0) is None
