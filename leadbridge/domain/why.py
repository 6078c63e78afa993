"""Why a prospect is or is not syncing to Salesforce, in plain words.

The seed's "My prospects aren't syncing" troubleshooting as a function: `explain(facts)` takes
what leadbridge knows about one prospect and returns the reasons, in the order a person
would check them, with a verdict. Whether a prospect may be pushed at all is the push
engine's own rule (`domain.push.push_blockers`), so `why` can never disagree with the sync.
Pure: nothing here reads a database or calls Salesforce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadbridge.domain.owners import owned_by_queue
from leadbridge.domain.push import BlockerCode, PushFacts, push_blockers


class Verdict(StrEnum):
    SYNCING = "syncing"
    NOT_SYNCING = "not syncing"
    WAITING = "waiting"


class Severity(StrEnum):
    BLOCKING = "blocking"  # nothing goes to Salesforce until this is fixed
    WAITING = "waiting"  # it will go, later, with nothing to fix
    WARNING = "warning"  # it syncs, but something needs a look
    INFO = "info"  # fine; said for the record


class ErrorEffect(StrEnum):
    """What an open sync error stops."""

    PUSH = "push"  # the prospect's own record: nothing goes until it is fixed
    CAMPAIGN = "campaign"  # adding it to a Salesforce campaign; the prospect still syncs
    WARNING = "warning"  # nothing: it synced, with something to look at (duplicates)


class ConnectorState(StrEnum):
    MISSING = "missing"
    PAUSED = "paused"
    ACTIVE = "active"


@dataclass(frozen=True)
class AssignedUser:
    email: str
    crm_username: str | None = None  # the Salesforce user it is mapped to


@dataclass(frozen=True)
class OpenError:
    """An unresolved sync error of the prospect."""

    id: int
    code: str
    message: str
    fields: tuple[str, ...] = ()
    crm_object: str | None = None
    effect: ErrorEffect = ErrorEffect.PUSH
    retries_automatically: bool = False  # a passing problem leadbridge retries by itself
    retry_queued: bool = False  # a new attempt is already on its way
    advice: str | None = None  # what usually fixes this kind of error


@dataclass(frozen=True)
class PendingPush:
    """The prospect's earliest unfinished push in the outbox."""

    queued_since: datetime
    next_attempt_at: datetime
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class ProspectFacts:
    asked_for: str  # what the person typed: an email or an id
    prospect_id: int | None = None  # None: no such prospect
    email: str | None = None
    recycled: bool = False
    deleted_in_crm: bool = False
    do_not_sync: bool = False
    assigned_user: AssignedUser | None = None
    connector: ConnectorState = ConnectorState.ACTIVE
    errors: tuple[OpenError, ...] = ()
    pending: PendingPush | None = None
    crm_lead_id: str | None = None
    crm_contact_id: str | None = None
    last_pushed_at: datetime | None = None
    owner_queue: str | None = None  # the Salesforce queue owning its record (name, else id)
    rule_assignment: bool = False  # its next push leaves the owner to Salesforce's rule
    changes_arrive: str | None = None  # how Salesforce's changes reach leadbridge, in words

    @property
    def linked(self) -> bool:
        return self.crm_lead_id is not None or self.crm_contact_id is not None


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    severity: Severity
    action: str | None = None  # the next step, when there is one


@dataclass(frozen=True)
class Explanation:
    verdict: Verdict
    reasons: tuple[Reason, ...]


def explain(facts: ProspectFacts) -> Explanation:
    """The reasons, most fundamental first, and the verdict they add up to."""
    if facts.prospect_id is None:
        return _verdict([_not_found(facts)])
    reasons = _blockers(facts)
    if facts.rule_assignment:
        reasons.append(
            Reason(
                "salesforce_rule",
                f"{_name(facts)} is to be assigned by Salesforce's active lead assignment "
                "rule: its next push writes the lead with the rule on, and the owner the rule "
                "picks becomes its assigned user.",
                Severity.INFO,
            )
        )
    if facts.owner_queue is not None and facts.linked:
        reasons.append(_queue_owner(facts, facts.owner_queue))
    elif facts.assigned_user is None and facts.linked:
        reasons.append(
            Reason(
                "not_assigned",
                f"{_name(facts)} is not assigned to a user, but it is already in Salesforce, "
                "so its changes still sync.",
                Severity.INFO,
            )
        )
    if facts.connector is ConnectorState.MISSING:
        reasons.append(
            Reason(
                "no_connector",
                "leadbridge is not connected to Salesforce yet.",
                Severity.BLOCKING,
                "Add the connector: leadbridge connector add, then leadbridge connector verify",
            )
        )
    reasons += [_sync_error(error) for error in facts.errors]
    pending = _pending(facts)
    if pending is not None:
        reasons.append(pending)
    settled = not any(r.severity in (Severity.BLOCKING, Severity.WAITING) for r in reasons)
    reasons.append(_link(facts, settled=settled))
    if facts.linked and facts.changes_arrive and facts.connector is ConnectorState.ACTIVE:
        reasons.append(
            Reason(
                "changes_from_salesforce",
                f"Changes made to its record in Salesforce reach leadbridge "
                f"{facts.changes_arrive}.",
                Severity.INFO,
            )
        )
    if all(reason.severity is Severity.INFO for reason in reasons):
        reasons.append(
            Reason(
                "all_good",
                f"Nothing is holding {_name(facts)} back: its changes go to Salesforce "
                "automatically.",
                Severity.INFO,
            )
        )
    return _verdict(reasons)


def _queue_owner(facts: ProspectFacts, queue: str) -> Reason:
    """A queue owns the record: its changes sync, its owner is Salesforce's to change."""
    message = (
        f"{_name(facts)} is {owned_by_queue(queue)} in Salesforce; leadbridge never changes "
        "a queue owner, and its changes still sync."
    )
    if facts.assigned_user is not None:
        message += (
            f" Its assignment to {facts.assigned_user.email} in leadbridge is not pushed: the "
            "record stays with the queue until someone in Salesforce takes it."
        )
    return Reason("queue_owner", message, Severity.INFO)


def push_facts(facts: ProspectFacts) -> PushFacts:
    """The facts the push engine decides on, for an automatic push."""
    user = facts.assigned_user
    return PushFacts(
        assigned=user is not None,
        linked=facts.linked,
        do_not_sync=facts.do_not_sync,
        recycled=facts.recycled,
        deleted_in_crm=facts.deleted_in_crm,
        paused=facts.connector is ConnectorState.PAUSED,
        assigned_user=None if user is None else user.email,
        assigned_user_mapped=user is None or user.crm_username is not None,
        rule_assignment=facts.rule_assignment,
    )


def _blockers(facts: ProspectFacts) -> list[Reason]:
    """The push engine's own blockers (`domain.push.push_blockers`), said for people, in the
    troubleshooting order."""
    blockers = push_blockers(push_facts(facts))
    codes = {blocker.code for blocker in blockers}
    if BlockerCode.DELETED_IN_CRM in codes:
        codes.discard(BlockerCode.RECYCLED)  # one reason: it was deleted in Salesforce
    reasons = []
    for blocker in sorted(blockers, key=lambda b: _ORDER.get(b.code, len(_ORDER))):
        if blocker.code in codes:
            said = _SAID.get(blocker.code)
            generic = Reason(str(blocker.code), blocker.message, Severity.BLOCKING)
            reasons.append(generic if said is None else said(facts))
    return reasons


def _verdict(reasons: list[Reason]) -> Explanation:
    severities = {reason.severity for reason in reasons}
    if Severity.BLOCKING in severities:
        verdict = Verdict.NOT_SYNCING
    elif Severity.WAITING in severities:
        verdict = Verdict.WAITING
    else:
        verdict = Verdict.SYNCING
    return Explanation(verdict, tuple(reasons))


def _name(facts: ProspectFacts) -> str:
    return facts.email or facts.asked_for


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _not_found(facts: ProspectFacts) -> Reason:
    return Reason(
        "not_found",
        f"No prospect matches {facts.asked_for!r}.",
        Severity.BLOCKING,
        f"Check the spelling, or add it: leadbridge prospects add {facts.asked_for}",
    )


def _restore(facts: ProspectFacts) -> str:
    return f"leadbridge prospects undelete {facts.prospect_id}"


def _deleted_in_crm(facts: ProspectFacts) -> Reason:
    return Reason(
        "deleted_in_crm",
        f"{_name(facts)} was deleted in Salesforce, so it is in the recycle bin and "
        "leadbridge will not create it in Salesforce again.",
        Severity.BLOCKING,
        f"If it should be in Salesforce again, restore it: {_restore(facts)}",
    )


def _recycled(facts: ProspectFacts) -> Reason:
    return Reason(
        "recycled",
        f"{_name(facts)} is in the recycle bin; prospects there are not synced.",
        Severity.BLOCKING,
        f"Restore it: {_restore(facts)}",
    )


def _do_not_sync(facts: ProspectFacts) -> Reason:
    return Reason(
        "do_not_sync",
        f'{_name(facts)} is marked "do not sync with CRM".',
        Severity.BLOCKING,
        f"Clear the mark: leadbridge prospects edit {_name(facts)} -s do_not_sync=false",
    )


def _not_assigned(facts: ProspectFacts) -> Reason:
    return Reason(
        "not_assigned",
        f"{_name(facts)} is not assigned to a user. A prospect goes to Salesforce only "
        "once it is assigned to a user.",
        Severity.BLOCKING,
        "Make sure the record is assigned to a user: leadbridge prospects assign "
        f"{_name(facts)} USER_EMAIL (or with an automation rule or a completion action)",
    )


def _user_not_mapped(facts: ProspectFacts) -> Reason:
    user = facts.assigned_user.email if facts.assigned_user else "USER_EMAIL"
    return Reason(
        "user_not_mapped",
        f"{_name(facts)} is assigned to {user}, who is not mapped to a Salesforce user, "
        "so leadbridge cannot make anyone the owner of its Salesforce record.",
        Severity.BLOCKING,
        f"Map the user: leadbridge users map {user} SALESFORCE_USERNAME (or leadbridge users sync)",
    )


def _paused(facts: ProspectFacts) -> Reason:
    return Reason(
        "connector_paused",
        "The connector is paused, so nothing syncs automatically; a manual sync still works.",
        Severity.WAITING,
        f"Resume it: leadbridge connector resume (or sync just this prospect: "
        f"leadbridge sync prospect {_name(facts)})",
    )


_SAID: dict[BlockerCode, Callable[[ProspectFacts], Reason]] = {
    BlockerCode.DELETED_IN_CRM: _deleted_in_crm,
    BlockerCode.RECYCLED: _recycled,
    BlockerCode.DO_NOT_SYNC: _do_not_sync,
    BlockerCode.NOT_ASSIGNED: _not_assigned,
    BlockerCode.USER_NOT_MAPPED: _user_not_mapped,
    BlockerCode.PAUSED: _paused,
}
_ORDER = {code: position for position, code in enumerate(_SAID)}


def _sync_error(error: OpenError) -> Reason:
    where = f" on the Salesforce {error.crm_object}" if error.crm_object else ""
    fields = f" (fields: {', '.join(error.fields)})" if error.fields else ""
    text = error.message.rstrip()
    stop = "" if text.endswith((".", "!", "?")) and not fields else "."
    advice = f"{error.advice} " if error.advice else ""
    if error.effect is ErrorEffect.WARNING:
        message = f"Warning {error.id} ({error.code}{where}): {text}{fields}{stop}"
        return Reason("sync_warning", message, Severity.WARNING, advice.strip() or None)
    message = f"Sync error {error.id} ({error.code}{where}): {text}{fields}{stop}"
    code = "campaign_error" if error.effect is ErrorEffect.CAMPAIGN else "sync_error"
    if error.retries_automatically:
        return Reason(code, f"{message} leadbridge retries this by itself.", Severity.WAITING)
    if error.retry_queued:
        return Reason(code, f"{message} A new attempt is queued.", Severity.WAITING)
    severity = Severity.WARNING if error.effect is ErrorEffect.CAMPAIGN else Severity.BLOCKING
    return Reason(
        code,
        message,
        severity,
        f"{advice}Fix the error and try syncing again: leadbridge errors retry {error.id}",
    )


def _pending(facts: ProspectFacts) -> Reason | None:
    pending = facts.pending
    if pending is None:
        return None
    message = (
        f"A push to Salesforce is queued since {_at(pending.queued_since)}; "
        f"next attempt at {_at(pending.next_attempt_at)}"
    )
    if pending.attempts:
        message += f" (tried {pending.attempts} time{'s' if pending.attempts > 1 else ''}"
        message += f"; last problem: {pending.last_error})" if pending.last_error else ")"
    return Reason("push_pending", message + ".", Severity.WAITING)


def _link(facts: ProspectFacts, *, settled: bool) -> Reason:
    """Where it is in Salesforce; `settled`: no other reason blocks it or makes it wait."""
    if facts.linked:
        record = (
            f"Contact {facts.crm_contact_id}"
            if facts.crm_contact_id
            else f"Lead {facts.crm_lead_id}"
        )
        pushed = (
            f"last pushed at {_at(facts.last_pushed_at)}"
            if facts.last_pushed_at
            else "not pushed by leadbridge yet"
        )
        return Reason("linked", f"Linked to Salesforce {record}; {pushed}.", Severity.INFO)
    if not settled:
        return Reason("not_in_crm", f"{_name(facts)} is not in Salesforce yet.", Severity.INFO)
    return Reason(
        "not_pushed",
        f"{_name(facts)} is not in Salesforce yet and no push is queued for it.",
        Severity.WAITING,
        f"Sync it now: leadbridge sync prospect {_name(facts)}",
    )
