"""Which side wins for one field: behaviours, blanks, and the three-way "most recent"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadbridge.domain.field_rules import UNKNOWN, FieldRule, Side, Sides, resolve
from leadbridge.domain.fields import SyncBehaviour

EARLY = datetime(2026, 1, 1, tzinfo=UTC)
LATE = EARLY + timedelta(hours=1)
L, S, R = SyncBehaviour.USE_LEADBRIDGE, SyncBehaviour.USE_SALESFORCE, SyncBehaviour.MOST_RECENT


def rule(
    behaviour: SyncBehaviour, *, blank_overwrites: bool = False, owned: bool = False
) -> FieldRule:
    return FieldRule("f", "F__c", behaviour, blank_overwrites=blank_overwrites, owned=owned)


@pytest.mark.parametrize("behaviour", list(SyncBehaviour))
def test_equal_values_need_nothing(behaviour: SyncBehaviour) -> None:
    assert resolve(rule(behaviour), Sides(12, 12.0)) is Side.NONE
    assert resolve(rule(behaviour), Sides(None, None)) is Side.NONE


@pytest.mark.parametrize(
    ("behaviour", "ours", "theirs", "winner"),
    [
        (L, "ours", "theirs", Side.LEADBRIDGE),
        (L, None, "theirs", Side.SALESFORCE),  # a value beats a blank
        (L, "ours", None, Side.LEADBRIDGE),
        (S, "ours", "theirs", Side.SALESFORCE),
        (S, "ours", None, Side.LEADBRIDGE),  # a value beats a blank
        (S, None, "theirs", Side.SALESFORCE),
    ],
)
def test_fixed_behaviours(
    behaviour: SyncBehaviour, ours: str | None, theirs: str | None, winner: Side
) -> None:
    assert resolve(rule(behaviour), Sides(ours, theirs)) is winner


def test_blank_overwrites_lets_the_preferred_blank_win() -> None:
    assert resolve(rule(L, blank_overwrites=True), Sides(None, "x")) is Side.LEADBRIDGE
    assert resolve(rule(S, blank_overwrites=True), Sides("x", None)) is Side.SALESFORCE


def test_leadbridge_owned_fields_are_always_ours_even_blank() -> None:
    assert resolve(rule(S, owned=True), Sides(None, "A")) is Side.LEADBRIDGE
    assert resolve(rule(S, owned=True), Sides(0, 40)) is Side.LEADBRIDGE


def test_most_recent_follows_the_side_that_moved_from_the_agreed_value() -> None:
    # Salesforce's record was modified later (another field, or our own write), but only
    # our value moved away from what both agreed on: ours wins.
    assert resolve(rule(R), Sides(True, False, False, EARLY, LATE)) is Side.LEADBRIDGE
    assert resolve(rule(R), Sides(False, True, False, LATE, EARLY)) is Side.SALESFORCE


def test_most_recent_compares_times_when_both_moved_or_never_synced() -> None:
    assert resolve(rule(R), Sides("a", "b", "c", LATE, EARLY)) is Side.LEADBRIDGE
    assert resolve(rule(R), Sides("a", "b", "c", EARLY, LATE)) is Side.SALESFORCE
    assert resolve(rule(R), Sides("a", "b", UNKNOWN, LATE, EARLY)) is Side.LEADBRIDGE
    assert resolve(rule(R), Sides("a", "b", UNKNOWN, LATE, LATE)) is Side.SALESFORCE  # tie
    assert resolve(rule(R), Sides("a", "b", UNKNOWN, None, EARLY)) is Side.SALESFORCE


def test_most_recent_blank_loses_to_a_value_unless_blanks_overwrite() -> None:
    cleared_here = Sides(None, "b", "b", LATE, EARLY)
    assert resolve(rule(R), cleared_here) is Side.SALESFORCE
    assert resolve(rule(R, blank_overwrites=True), cleared_here) is Side.LEADBRIDGE
