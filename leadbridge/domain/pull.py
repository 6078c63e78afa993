"""Pulling Salesforce changes on connected records: the pure decisions.

The pull decides each mapped field exactly as the push does (`push_record.decide_field`):
where Salesforce wins, its value is taken; where both agree, the agreed value is remembered
(the echo memory), so neither direction ever writes back what the other just wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from leadbridge.domain.crm_values import crm_value, is_blank, parse_crm_datetime, same_value
from leadbridge.domain.emails import email_key
from leadbridge.domain.field_rules import FieldRule, Side
from leadbridge.domain.matching import modified_at
from leadbridge.domain.push_record import (
    SEEN,
    FieldTimes,
    ProspectValues,
    decide_field,
    field_sides,
    seen_at,
)
from leadbridge.ports import CrmField, CrmObject, CrmRecord

PULL_CURSOR = "pull"  # the sync cursor's kind, per object: Salesforce's time the last poll read to
PULL_HIGH_WATER = "pull_hwm"  # per object: the newest SystemModstamp a poll has read
OVERLAP = timedelta(seconds=60)  # each window starts this long before the last cursor
# The query reaches this far past Salesforce's now: the estimate of the org's clock is good to
# about a second, and nothing can be stamped in the org's future, so reading a little past it
# only makes "edited just before the poll" certain to be read, never skips anything.
READ_AHEAD = timedelta(seconds=5)
# Salesforce's clock read after a query further than this from the estimate the window was
# computed with means one of the two clocks jumped: the window is computed again.
CLOCK_JUMP = OVERLAP / 2
# Warnings a pull records on a prospect (sync errors of a warning kind).
EMAIL_NOT_APPLIED = "CRM_EMAIL_NOT_APPLIED"
EMAIL_TAKEN = "CRM_EMAIL_TAKEN"
OWNER_NOT_MAPPED = "CRM_OWNER_NOT_MAPPED"
VALUE_REFUSED = "CRM_VALUE_REFUSED"
PULL_WARNINGS = (EMAIL_NOT_APPLIED, EMAIL_TAKEN, OWNER_NOT_MAPPED, VALUE_REFUSED)
NOT_PULLED = frozenset({"email"})  # handled by its own rule (the email setting)


def pull_window(
    cursor: datetime | None,
    started: datetime,
    overlap: timedelta = OVERLAP,
    *,
    back: timedelta = timedelta(0),
) -> tuple[datetime, datetime]:
    """[start, end) of a poll, both on Salesforce's clock: from a little before the last cursor
    (or before now on the first poll) to `started`, Salesforce's time when the poll began; the
    cursor becomes `end`, so a change made while polling is read by the next poll.

    A cursor in Salesforce's future (written before a clock moved, or on leadbridge's own
    clock by an older version) is clamped to Salesforce's now. `back` is how far Salesforce's
    clock is behind the clock the cursor was written on (a jump seen during this poll): the
    cursor is moved back as far, so records stamped since the jump are read too."""
    anchor = started if cursor is None else min(cursor - max(back, timedelta(0)), started)
    return anchor - overlap, started


def query_end(end: datetime, back: timedelta = timedelta(0)) -> datetime:
    """The exclusive upper bound a window's query uses: a little past `end` (`READ_AHEAD`),
    and past the old clock's now after Salesforce's clock went `back` (records stamped on it
    before the jump are otherwise in the org's future)."""
    return end + max(back, timedelta(0)) + READ_AHEAD


def clock_jump(expected: datetime, seen: datetime, tolerance: timedelta = CLOCK_JUMP) -> timedelta:
    """How far Salesforce's clock is behind the estimate a window was computed with (`expected`,
    negative when ahead), read as `seen` just after the window's first reply; zero when the
    two agree within `tolerance` (the first reply's own delay stays well inside it)."""
    drift = expected - seen
    return drift if abs(drift) > tolerance else timedelta(0)


def high_water(records: Sequence[Mapping[str, Any]], current: datetime | None) -> datetime | None:
    """The newest SystemModstamp among `records` and `current`."""
    stamps = [parse_crm_datetime(str(r.get("SystemModstamp") or "")) for r in records]
    found = [s for s in stamps if s is not None]
    if current is not None:
        found.append(current)
    return max(found) if found else None


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal (whole seconds, UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RecordState(StrEnum):
    LIVE = "live"
    DELETED = "deleted"
    MERGED = "merged"  # deleted by a merge: MasterRecordId names the survivor
    CONVERTED = "converted"  # a lead converted to a contact


def record_state(record: Mapping[str, Any]) -> RecordState:
    if record.get("IsDeleted"):
        return RecordState.MERGED if record.get("MasterRecordId") else RecordState.DELETED
    if record.get("IsConverted") and record.get("ConvertedContactId"):
        return RecordState.CONVERTED
    return RecordState.LIVE


@dataclass(frozen=True)
class PullPlan:
    changes: dict[str, Any]  # prospect field → Salesforce's value, to take
    agreed: dict[str, Any]  # API name → the value both sides hold afterwards
    taken: tuple[str, ...] = field(default=())  # the API names whose values were taken
    # API names where Salesforce holds another value but leadbridge's wins: a push is due.
    ours_win: tuple[str, ...] = field(default=())


def plan_pull(
    obj: CrmObject,
    rules: Sequence[FieldRule],
    prospect: ProspectValues,
    record: CrmRecord,
    agreed: Mapping[str, Any],
    theirs_at: FieldTimes | None = None,
) -> PullPlan:
    """What to take from `record` (only fields it was read with), field by field.

    `theirs_at`: Salesforce's per-field change times (field history) where known. A field
    Salesforce changed that is not taken (leadbridge's newer value wins, to be pushed) is
    remembered in SEEN with the time this pull first saw it, so a later edit of another
    field (which moves LastModifiedDate) cannot make Salesforce's value look newer."""
    changes: dict[str, Any] = {}
    settled: dict[str, Any] = {}
    taken: list[str] = []
    before = dict(agreed.get(SEEN) or {})
    seen: dict[str, Any] = {}
    ours_win: list[str] = []
    for rule in rules:
        if rule.field in NOT_PULLED or "." in rule.crm_field:
            continue
        target = obj.field(rule.crm_field)
        if target is None or target.name not in record:
            continue
        ours = crm_value(prospect.values.get(rule.field), target)
        if same_value(ours, crm_value(record.get(target.name), target)):
            settled[target.name] = ours  # what `decide_field` decides, without its inputs
            continue
        decision = decide_field(
            rule,
            target,
            ours,
            record,
            agreed,
            prospect.changed(rule.field),
            (theirs_at or {}).get(target.name),
        )
        if decision.side is Side.SALESFORCE:
            changes[rule.field] = decision.theirs
            settled[target.name] = decision.theirs
            taken.append(target.name)
        elif decision.side is Side.NONE and not decision.stand_in:
            settled[target.name] = ours
        elif decision.side is Side.LEADBRIDGE:
            ours_win.append(target.name)
            if decision.stand_in:
                continue
            first = _first_seen(target, ours, decision.theirs, record, agreed, theirs_at)
            if first is not None:
                seen[target.name] = first
    if seen or before:
        settled[SEEN] = seen  # replaces the map: settled fields drop out
    return PullPlan(changes, settled, tuple(taken), tuple(ours_win))


def _first_seen(
    target: CrmField,
    ours: Any,
    theirs: Any,
    record: CrmRecord,
    agreed: Mapping[str, Any],
    theirs_at: FieldTimes | None,
) -> list[Any] | None:
    """[value, ISO time] to keep in SEEN for a field Salesforce moved (None: it did not)."""
    if not field_sides(target, ours, theirs, agreed).moved()[1]:
        return None
    name = target.name
    known = seen_at(agreed, name, theirs) or (theirs_at or {}).get(name) or modified_at(record)
    return [theirs, known.isoformat()]


def email_change(ours: str, theirs: Any) -> str | None:
    """Salesforce's email when it differs from the prospect's (any case), else None."""
    if is_blank(theirs) or not isinstance(theirs, str):
        return None
    return theirs.strip() if email_key(theirs) != email_key(ours) else None


def email_not_applied_message(theirs: str, ours: str) -> str:
    return (
        f"Salesforce changed the email to {theirs}; leadbridge kept {ours} because "
        "apply_crm_email_changes is off"
    )


def merge_blanks(
    keep: Mapping[str, Any], other: Mapping[str, Any], names: Sequence[str]
) -> dict[str, Any]:
    """The values to copy into the kept prospect: its blank fields the other one has."""
    return {
        name: other[name]
        for name in names
        if name not in NOT_PULLED and is_blank(keep.get(name)) and not is_blank(other.get(name))
    }
