"""Sending a wave's writes: one update per object and one create (or upsert) for all the
new leads, each split by the client into composite calls of 200 (Bulk API 2.0 above the
connector's threshold). Results come back in request order and land on their outcomes.

Before anything is sent, `record_sent` commits the values about to be sent (as the upsert
keys are): if the process dies after Salesforce applied them and before the outcome is
recorded, the next sync knows them as its own and does not mistake them for a Salesforce
change (which could put leadbridge's older value back over a newer edit).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.errors import CrmError, CrmLimitError
from leadbridge.ports import Clock, CrmClient, SaveResult
from leadbridge.store.database import Database
from leadbridge.store.sync_state import Agreed, SyncStateRepository
from leadbridge.sync.push.plan import Outcome

log = logging.getLogger(__name__)


def record_sent(db: Database, clock: Clock, outcomes: Sequence[Outcome]) -> None:
    """Write the values about to be sent per (prospect, object, record), in one committed
    transaction (chunked statements), before `send`."""
    entries = [
        Agreed(o.prospect_id, o.plan.object_name, o.plan.crm_id, o.plan.values)
        for o in outcomes
        if o.ready and o.plan is not None
    ]
    if not entries:
        return
    with db.session() as session:
        SyncStateRepository(session, clock).record_sent(entries)


def send(
    crm: CrmClient, outcomes: Sequence[Outcome], *, key_field: str | None
) -> CrmLimitError | None:
    """Write every ready outcome; the limit error that stopped the writes, if one did.

    New leads go through an upsert on `key_field` when the org has it: a create retried
    after a crash (Salesforce saved, leadbridge did not commit) updates the lead it already
    made instead of making a second one."""
    ready = [outcome for outcome in outcomes if outcome.ready]
    stop: CrmLimitError | None = None
    for object_name, auto_assign in ((CONTACT, False), (LEAD, False), (LEAD, True)):
        updates = [
            o
            for o in ready
            if o.plan
            and o.plan.object_name == object_name
            and not o.plan.creates
            and o.plan.auto_assign == auto_assign
        ]
        if updates and stop is None:
            records = [o.plan.record() for o in updates if o.plan]
            if auto_assign:
                results = crm.update(object_name, records, auto_assign=True)
            else:
                results = crm.update(object_name, records)
            stop = _apply(updates, results, created=False) or stop
        elif updates:
            _defer(updates)
    for auto_assign in (False, True):
        creates = [
            o for o in ready if o.plan and o.plan.creates and o.plan.auto_assign == auto_assign
        ]
        if creates and stop is None:
            stop = _create(crm, creates, key_field, auto_assign=auto_assign) or stop
        elif creates:
            _defer(creates)
    if stop is None:
        stop = read_rule_owners(crm, ready)
    return stop


def _create(
    crm: CrmClient, creates: Sequence[Outcome], key_field: str | None, *, auto_assign: bool
) -> CrmLimitError | None:
    records = [o.plan.record() for o in creates if o.plan]
    extra = {"auto_assign": True} if auto_assign else {}
    if key_field is not None:
        results = crm.upsert(LEAD, key_field, records, **extra)
    else:
        results = crm.create(LEAD, records, **extra)
    return _apply(creates, results, created=None)


def read_rule_owners(crm: CrmClient, outcomes: Sequence[Outcome]) -> CrmLimitError | None:
    """The owner Salesforce's assignment rule picked for each lead written with the rule on,
    read back in one batch (a write's reply has no owner). Unread (Salesforce unreachable),
    the outcome is deferred: its request stays and the next push asks the rule again."""
    written = [
        o
        for o in outcomes
        if o.plan is not None and o.plan.auto_assign and o.crm_id is not None and o.succeeded
    ]
    if not written:
        return None
    try:
        records = crm.retrieve(LEAD, [str(o.crm_id) for o in written], ["Id", "OwnerId"])
    except CrmError as error:
        log.warning("Reading the owners Salesforce's assignment rule picked failed: %s", error)
        _defer(written)
        return error if isinstance(error, CrmLimitError) else None
    owners = {str(record["Id"]): record.get("OwnerId") for record in records}
    for outcome in written:
        owner = owners.get(str(outcome.crm_id))
        outcome.rule_owner = None if owner is None else str(owner)
    return None


def _apply(
    outcomes: Sequence[Outcome], results: Sequence[SaveResult], *, created: bool | None
) -> CrmLimitError | None:
    stop: CrmLimitError | None = None
    for outcome, result in zip(outcomes, results, strict=True):
        if result.success:
            assert outcome.plan is not None
            outcome.crm_id = result.id or outcome.plan.crm_id
            outcome.created = result.created if created is None else created
            continue
        error = _first(result)
        if isinstance(error, CrmLimitError):
            outcome.deferred = True
            stop = stop or error
        else:
            outcome.error = error
    return stop


def _first(result: SaveResult) -> CrmError:
    limit = next((e for e in result.errors if isinstance(e, CrmLimitError)), None)
    return limit or result.errors[0]


def _defer(outcomes: Sequence[Outcome]) -> None:
    for outcome in outcomes:
        outcome.deferred = True
