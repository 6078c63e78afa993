"""Which side's value wins for one mapped field: the rule both directions apply.

Push and pull call the same `resolve` with the same inputs, so they can never disagree: the
push writes the winner to Salesforce when leadbridge wins, the pull takes it when Salesforce
wins, and once both hold the same value neither has anything left to do (no ping-pong).

The inputs are ours, theirs, and what both sides last agreed on (the sync state). That third
value makes "most recent" a three-way merge: when only one side moved away from the agreed
value, that side changed and wins, whatever the record's LastModifiedDate says (our own
writes bump it, and so does any edit to another field). Only when both sides changed, or
the field was never synced, are the change times compared.

A fourth input covers a push that died between Salesforce applying it and leadbridge
recording it: the values leadbridge sent are written down before they are sent, and a
Salesforce value equal to one of them is leadbridge's own echo, so the sent value is the
agreed one. The change times are per field and on Salesforce's clock (see docs/push.md,
"Most recent"); equal times go to Salesforce.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from leadbridge.domain.crm_values import is_blank, same_value
from leadbridge.domain.fields import SyncBehaviour


class Side(StrEnum):
    LEADBRIDGE = "leadbridge"
    SALESFORCE = "salesforce"
    NONE = "none"  # both already hold the same value


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()  # no agreed value yet: the field was never synced


@dataclass(frozen=True)
class FieldRule:
    """One mapped field on one Salesforce object."""

    field: str  # the prospect field's name
    crm_field: str  # the Salesforce API name
    behaviour: SyncBehaviour
    blank_overwrites: bool = False
    owned: bool = False  # leadbridge's own (score, grade, campaign): ours always


@dataclass(frozen=True)
class Sides:
    """Both values in `crm_value` form, the agreed one, and when each side last changed."""

    ours: Any
    theirs: Any
    agreed: Any = UNKNOWN
    ours_changed_at: datetime | None = None
    theirs_changed_at: datetime | None = None
    sent: Any = UNKNOWN  # what leadbridge last sent, not yet known to have arrived

    @property
    def baseline(self) -> Any:
        """What both sides last held: the value leadbridge sent when Salesforce holds it
        (its own echo, whatever happened to the push after Salesforce applied it), else the
        agreed value."""
        if self.sent is not UNKNOWN and same_value(self.theirs, self.sent):
            return self.sent
        return self.agreed

    def moved(self) -> tuple[bool, bool]:
        """(ours moved, theirs moved) away from the baseline; both when it is unknown."""
        before = self.baseline
        if before is UNKNOWN:
            return True, True
        return not same_value(self.ours, before), not same_value(self.theirs, before)


def resolve(rule: FieldRule, sides: Sides) -> Side:
    """The side whose value both should hold (NONE when they already agree)."""
    if same_value(sides.ours, sides.theirs):
        return Side.NONE
    if rule.owned:
        return Side.LEADBRIDGE
    preferred = _preferred(rule.behaviour, sides)
    if rule.blank_overwrites:
        return preferred
    # A value beats a blank, whichever side holds it.
    if preferred is Side.LEADBRIDGE and is_blank(sides.ours):
        return Side.SALESFORCE
    if preferred is Side.SALESFORCE and is_blank(sides.theirs):
        return Side.LEADBRIDGE
    return preferred


def _preferred(behaviour: SyncBehaviour, sides: Sides) -> Side:
    if behaviour is SyncBehaviour.USE_LEADBRIDGE:
        return Side.LEADBRIDGE
    if behaviour is SyncBehaviour.USE_SALESFORCE:
        return Side.SALESFORCE
    ours_moved, theirs_moved = sides.moved()
    if ours_moved and not theirs_moved:
        return Side.LEADBRIDGE
    if theirs_moved and not ours_moved:
        return Side.SALESFORCE
    return later(sides.ours_changed_at, sides.theirs_changed_at)


def later(ours_at: datetime | None, theirs_at: datetime | None) -> Side:
    """Both changed: the later change wins. Both times are on Salesforce's clock and compared
    to the whole second, Salesforce's resolution: its times are truncated to the second (a
    change at 12:00:00.900 reads 12:00:00), so ours at 12:00:00.400 cannot be told apart from
    it. A tie (same second, or no time for ours) goes to Salesforce, the primary system: its
    time is also an upper bound when it comes from the pull's window, so "equal" may well
    mean "Salesforce's is later"."""
    if ours_at is None:
        return Side.SALESFORCE
    if theirs_at is None or whole_second(ours_at) > whole_second(theirs_at):
        return Side.LEADBRIDGE
    return Side.SALESFORCE


def whole_second(moment: datetime) -> datetime:
    """`moment` truncated to the second, as Salesforce stores datetimes."""
    return moment.replace(microsecond=0)


def in_conflict(rule: FieldRule, sides: Sides) -> bool:
    """Whether `resolve` needs the change times: a `most_recent` field, not leadbridge's
    own, where both sides hold different non-blank-rule values and both moved. Only these
    fields need Salesforce's field history."""
    if rule.owned or rule.behaviour is not SyncBehaviour.MOST_RECENT:
        return False
    if same_value(sides.ours, sides.theirs):
        return False
    if not rule.blank_overwrites and (is_blank(sides.ours) or is_blank(sides.theirs)):
        return False
    return all(sides.moved())
