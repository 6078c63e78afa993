"""Which side wins for one field: behaviours, blanks, and the three-way "most recent"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadbridge.domain.field_rules import (
    UNKNOWN,
    FieldRule,
    Side,
    Sides,
    in_conflict,
    later,
    resolve,
)
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


# -- no lost update: sent values, per-field times, ties -----------------------------------


def test_salesforce_holding_a_value_we_sent_is_our_echo_after_a_crash() -> None:
    # agreed v1; we sent v2 (Salesforce applied it, the crash lost the record); the user
    # then edited v3: only ours moved from what both last held, whatever the times say.
    sides = Sides("v3", "v2", "v1", EARLY, LATE, sent="v2")
    assert resolve(rule(R), sides) is Side.LEADBRIDGE
    assert not in_conflict(rule(R), sides)


def test_a_sent_value_salesforce_does_not_hold_changes_nothing() -> None:
    # Salesforce moved on from what we sent (or never got it): the agreed value stands.
    sides = Sides("v2", "rep", "v1", EARLY, LATE, sent="v2")
    assert sides.baseline == "v1"
    assert resolve(rule(R), sides) is Side.SALESFORCE
    assert in_conflict(rule(R), sides)


@pytest.mark.parametrize(
    ("ours_at", "theirs_at", "winner"),
    [
        (LATE, EARLY, Side.LEADBRIDGE),
        (EARLY, LATE, Side.SALESFORCE),
        (EARLY, EARLY, Side.SALESFORCE),  # a true tie: Salesforce, the primary system
        (None, EARLY, Side.SALESFORCE),
        (EARLY, None, Side.LEADBRIDGE),
        (None, None, Side.SALESFORCE),
        # Salesforce's times have whole seconds: within Salesforce's second is a tie, ...
        (EARLY + timedelta(milliseconds=400), EARLY, Side.SALESFORCE),
        (EARLY + timedelta(milliseconds=999), EARLY, Side.SALESFORCE),
        (EARLY, EARLY + timedelta(milliseconds=999), Side.SALESFORCE),
        # ... the next second is later
        (EARLY + timedelta(seconds=1), EARLY, Side.LEADBRIDGE),
        (EARLY + timedelta(seconds=1), EARLY + timedelta(milliseconds=999), Side.LEADBRIDGE),
        (
            EARLY + timedelta(seconds=1, milliseconds=1),
            EARLY + timedelta(seconds=2),
            Side.SALESFORCE,
        ),
    ],
)
def test_both_changed_the_later_change_wins_and_a_tie_goes_to_salesforce(
    ours_at: datetime | None, theirs_at: datetime | None, winner: Side
) -> None:
    assert later(ours_at, theirs_at) is winner
    assert resolve(rule(R), Sides("a", "b", "c", ours_at, theirs_at)) is winner


def test_a_tie_is_decided_the_same_whatever_the_time_zone_or_order_of_reading() -> None:
    """Deterministic: the same two times always give the same side."""
    ours = datetime(2026, 1, 1, 12, 0, 0, 300_000, tzinfo=UTC)
    theirs = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    paris = ours.astimezone(timezone(timedelta(hours=1)))
    assert {later(ours, theirs), later(paris, theirs), later(ours, theirs)} == {Side.SALESFORCE}


def test_only_most_recent_fields_where_both_moved_are_in_conflict() -> None:
    assert in_conflict(rule(R), Sides("a", "b", "c"))
    assert in_conflict(rule(R), Sides("a", "b"))  # never synced
    assert not in_conflict(rule(R), Sides("a", "c", "c"))  # only ours moved
    assert not in_conflict(rule(L), Sides("a", "b", "c"))
    assert not in_conflict(rule(R), Sides(None, "b", "c"))  # a value beats a blank
    assert in_conflict(rule(R, blank_overwrites=True), Sides(None, "b", "c"))
