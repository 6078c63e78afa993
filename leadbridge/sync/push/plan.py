"""Deciding each candidate's push: skipped (and why), refused before sending (pre-flight,
unmapped owner, record gone), or the exact record to write.

`plan_wave` plans a whole wave: leadbridge's change times moved onto Salesforce's clock, and
Salesforce's field history read in one batch per object for the fields in true conflict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from leadbridge.domain.conversion import converted_state
from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.domain.preflight import Problem
from leadbridge.domain.push import RECORD_NOT_FOUND, BlockerCode, push_blockers
from leadbridge.domain.push_record import (
    SENT,
    Creation,
    FieldTimes,
    WritePlan,
    conflicts,
    plan_write,
)
from leadbridge.errors import CrmError
from leadbridge.ports import Clock, CrmClient
from leadbridge.store.queues import is_queue_id
from leadbridge.sync.config import PushConfig
from leadbridge.sync.field_times import history_times, server_offset
from leadbridge.sync.push.inputs import Candidate, owner_problem
from leadbridge.sync.push.lookup import Found

OWNER = "OwnerId"


@dataclass
class Outcome:
    """One prospect's push, filled in as the run goes."""

    candidate: Candidate
    skipped: BlockerCode | None = None
    found: Found | None = None
    plan: WritePlan | None = None
    problems: tuple[Problem, ...] = ()  # refused before sending anything
    error: CrmError | None = None  # refused by Salesforce
    deferred: bool = False  # not tried: the API allowance ran out first
    crm_id: str | None = None  # the record written (after success)
    created: bool = False
    warning: str | None = None  # a duplicate in Salesforce (the push still happens)
    rule_owner: str | None = None  # the owner Salesforce's assignment rule picked (read back)

    @property
    def prospect_id(self) -> int:
        return self.candidate.prospect.id

    @property
    def ready(self) -> bool:
        """To be sent to Salesforce now."""
        return (
            self.plan is not None
            and self.plan.needs_call
            and not self.problems
            and self.error is None
            and not self.deferred
        )

    @property
    def succeeded(self) -> bool:
        return (
            self.skipped is None
            and self.plan is not None
            and not self.problems
            and self.error is None
            and not self.deferred
        )


def gate(candidate: Candidate) -> Outcome:
    """The outcome so far: skipped when a blocker (other than creation-only) applies."""
    blockers = [b for b in push_blockers(candidate.facts) if not b.creation_only]
    return Outcome(candidate, skipped=blockers[0].code if blockers else None)


def plan_wave(
    crm: CrmClient,
    clock: Clock,
    outcomes: Sequence[Outcome],
    found: Mapping[int, Found],
    config: PushConfig,
) -> None:
    """`plan` every outcome of a wave, with per-field change times on Salesforce's clock."""
    offset = server_offset(crm, clock)
    wanted: dict[str, dict[str, list[str]]] = {}  # object → record id → fields in conflict
    for outcome in outcomes:
        one = found[outcome.prospect_id]
        record = one.match.record
        if one.how == "missing" or record is None:
            continue
        names = conflicts(
            config.objects[one.match.object_name],
            config.rules[one.match.object_name],
            outcome.candidate.values,
            record,
            _state(outcome.candidate, one, config),
        )
        if names:
            wanted.setdefault(one.match.object_name, {})[str(record["Id"])] = names
    times = {name: history_times(crm, name, records) for name, records in wanted.items()}
    for outcome in outcomes:
        one = found[outcome.prospect_id]
        record = one.match.record
        record_times = times.get(one.match.object_name, {})
        theirs_at = {} if record is None else record_times.get(str(record["Id"]), {})
        plan(outcome, one, config, offset=offset, theirs_at=theirs_at)


def _state(candidate: Candidate, found: Found, config: PushConfig) -> Mapping[str, Any]:
    """The sync state the rules use for the found record: its agreed values when it is the
    record the prospect is linked to; for the contact its lead was converted to, the lead's
    agreed values carried over (`domain.conversion`); otherwise only what was sent (a create
    or an update whose outcome a crash lost: Salesforce holding those values is leadbridge's
    echo)."""
    state = candidate.agreed.get(found.match.object_name, {})
    if found.how == "linked" and not found.relinked:
        return state
    sent = {SENT: state[SENT]} if SENT in state else {}
    if found.how == "linked" and found.match.object_name == CONTACT:
        carried = converted_state(
            config.rules[LEAD],
            config.objects[CONTACT],
            config.rules[CONTACT],
            candidate.agreed.get(LEAD, {}),
        )
        return {**carried, **sent}
    return sent


def plan(
    outcome: Outcome,
    found: Found,
    config: PushConfig,
    *,
    offset: timedelta = timedelta(),
    theirs_at: FieldTimes | None = None,
) -> None:
    """Fill in the record to write for a candidate that passed the gate (`offset`: our
    clock to Salesforce's; `theirs_at`: Salesforce's field history times)."""
    candidate = outcome.candidate
    outcome.found = found
    chosen = found.match
    if found.how == "missing":
        outcome.problems = (_missing(candidate, chosen.object_name),)
        return
    obj = config.objects[chosen.object_name]
    agreed = _state(candidate, found, config)
    creation = None
    if chosen.creates:
        creation = Creation(
            placeholder_company=config.settings.placeholder_company,
            # Salesforce's assignment rule picks the owner: none is sent.
            owner_id=None if candidate.rule_assignment else candidate.owner_id,
            owner_problem=owner_problem(candidate),
            key_field=config.key_field,
            key=candidate.key,
        )
    outcome.plan = plan_write(
        obj,
        config.rules[chosen.object_name],
        candidate.values.shifted(offset),
        chosen.record,
        agreed=agreed,
        creation=creation,
        theirs_at=theirs_at,
    )
    outcome.plan = keep_queue_owner(outcome.plan, chosen.record)
    if candidate.rule_assignment and chosen.object_name == LEAD:
        outcome.plan = replace(outcome.plan, auto_assign=True)
    if found.relinked:  # the converted lead's agreed values stay, updated by this push
        carried = {key: value for key, value in agreed.items() if key != SENT}
        outcome.plan = replace(outcome.plan, agreed={**carried, **outcome.plan.agreed})
    outcome.problems = outcome.plan.problems
    outcome.warning = chosen.duplicate_warning(candidate.prospect.email)


def keep_queue_owner(write: WritePlan, record: Mapping[str, Any] | None) -> WritePlan:
    """Never overwrite a queue owner: OwnerId is left out of a write to a record a queue owns,
    whoever the prospect is assigned to in leadbridge (a person in Salesforce takes the lead
    from the queue; the pull then follows that owner)."""
    if record is None or not is_queue_id(_owner(record)) or OWNER not in write.values:
        return write
    values = {name: value for name, value in write.values.items() if name != OWNER}
    agreed = {name: value for name, value in write.agreed.items() if name != OWNER}
    return replace(write, values=values, agreed=agreed)


def _owner(record: Mapping[str, Any]) -> str | None:
    owner = record.get(OWNER)
    return None if owner is None else str(owner)


def _missing(candidate: Candidate, object_name: str) -> Problem:
    prospect = candidate.prospect
    crm_id = prospect.crm_contact_id if object_name == CONTACT else prospect.crm_lead_id
    return Problem(
        RECORD_NOT_FOUND,
        f"The Salesforce {object_name.lower()} {crm_id} linked to {prospect.email} no longer "
        "exists (deleted or merged in Salesforce), so leadbridge does not write to it or "
        "create a new one.",
    )
