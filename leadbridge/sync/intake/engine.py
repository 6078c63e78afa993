"""The seed's ways to bring new Salesforce leads and contacts into leadbridge.

- `send_to_leadbridge`: the "Send to leadbridge" button (`leadbridge pull ID…`,
  `POST /api/v1/connector/send`): one retrieve per object for all the ids, then each record
  creates its prospect or links (restoring if need be) the one with its email. Works while the
  connector is paused: it is a person's explicit request.
- `auto_create_step`: the "automatically create prospects" setting, one query per object per
  poll, for the records created since the setting was switched on (the switch-on time is
  recorded on Salesforce's clock with the setting; `store.auto_create`).

Both write in one transaction, each record in a savepoint (a bad record never stops the
others), and call `after_change` (the automation engine's `run_rules_for`) in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from leadbridge.domain.crm_values import parse_crm_datetime
from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock, CrmClient, CrmRecord
from leadbridge.store.auto_create import LOCAL_MARGIN, AutoCreateState
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.sync.config import PushConfig, load_config
from leadbridge.sync.intake.apply import AfterChange, Intake, Known, Source
from leadbridge.sync.intake.ids import id18, object_of
from leadbridge.sync.intake.report import (
    ERROR,
    NO_EMAIL,
    NOT_FOUND,
    IntakeOutcome,
    IntakeSummary,
)
from leadbridge.sync.intake.values import read_fields
from leadbridge.sync.queues import learn_queues

OVERLAP = timedelta(minutes=5)  # records become visible late; re-read, de-duplicated


def send_to_leadbridge(
    db: Database,
    crm: CrmClient,
    clock: Clock,
    ids: Sequence[str],
    *,
    after_change: AfterChange | None = None,
) -> IntakeSummary:
    """Take these leads and contacts in (Salesforce ids, 15 or 18 characters), reporting per id."""
    summary = IntakeSummary()
    with db.session(readonly=True) as session:
        config = load_config(session)
    wanted: dict[str, list[str]] = {LEAD: [], CONTACT: []}
    resolved: dict[str, str] = {}
    for raw in ids:
        full = id18(raw)
        object_name = None if full is None else object_of(full)
        if full is None or object_name is None:
            continue
        resolved[raw] = full
        wanted[object_name].append(full)
    records = {
        name: _retrieve(crm, config, name, list(dict.fromkeys(found)), summary)
        for name, found in wanted.items()
    }
    converted = {
        str(r["ConvertedContactId"])
        for r in records[LEAD].values()
        if r.get("IsConverted") and r.get("ConvertedContactId")
    }
    records[CONTACT].update(_retrieve(crm, config, CONTACT, sorted(converted), summary))
    sources: dict[str, Source | IntakeOutcome] = {}
    for raw in ids:
        sources[raw] = _source(raw, resolved.get(raw), records)
    emails = [str(s.record["Email"]) for s in sources.values() if isinstance(s, Source)]
    crm_ids = [s.crm_id for s in sources.values() if isinstance(s, Source)]
    with db.session() as session:
        intake = Intake(session, clock, config)
        owners = [s.record.get("OwnerId") for s in sources.values() if isinstance(s, Source)]
        summary.crm_calls += learn_queues(session, crm, clock, owners)
        known = intake.known(emails, crm_ids)
        for raw, source in sources.items():
            if isinstance(source, IntakeOutcome):
                summary.add(source)
                continue
            outcome = summary.add(IntakeOutcome(raw, ERROR))
            _take_one(intake, known, outcome, source)
        if after_change is not None:
            after_change(session, summary.prospect_ids(), Origin.SALESFORCE)
    return summary


def _retrieve(
    crm: CrmClient, config: PushConfig, object_name: str, ids: list[str], summary: IntakeSummary
) -> dict[str, CrmRecord]:
    if not ids:
        return {}
    summary.crm_calls += 1
    fields = read_fields(config, object_name)
    return {str(r["Id"]): r for r in crm.retrieve(object_name, ids, fields)}


def _source(
    raw: str, full: str | None, records: dict[str, dict[str, CrmRecord]]
) -> Source | IntakeOutcome:
    if full is None:
        return IntakeOutcome(raw, NOT_FOUND, reason="not a Salesforce lead or contact id")
    object_name = object_of(full)
    assert object_name is not None
    record = records[object_name].get(full)
    if record is None:
        return IntakeOutcome(
            raw, NOT_FOUND, reason=f"no {object_name.lower()} {full} in Salesforce"
        )
    if object_name == LEAD and record.get("IsConverted"):
        contact = records[CONTACT].get(str(record.get("ConvertedContactId")))
        if contact is None:
            return IntakeOutcome(raw, NOT_FOUND, reason=f"lead {full} was converted")
        object_name, record = CONTACT, contact
    if not str(record.get("Email") or "").strip():
        return IntakeOutcome(
            raw,
            NO_EMAIL,
            crm_object=object_name,
            crm_id=str(record["Id"]),
            reason=f"the {object_name.lower()} has no email address",
        )
    return Source(object_name, record)


def _existing(known: Known, source: Source) -> Prospect | None:
    """Live before recycled; the prospect linked to the record, then the one with its email."""
    key = email_key(str(source.record["Email"]))
    linked = known.by_crm_id.get(source.crm_id)
    for candidate in (linked, known.live.get(key)):
        if candidate is not None and not candidate.recycled:
            return candidate
    return linked or known.recycled.get(key)


def _take_one(intake: Intake, known: Known, outcome: IntakeOutcome, source: Source) -> None:
    email = str(source.record["Email"]).strip()
    savepoint = intake.session.begin_nested()
    try:
        prospect = intake.take(
            outcome,
            source,
            _existing(known, source),
            email=email,
            given={},
            origin=Origin.SALESFORCE,
        )
    except LeadbridgeError as error:
        savepoint.rollback()
        outcome.status, outcome.reason, outcome.prospect_id = ERROR, str(error), None
        outcome.crm_object, outcome.crm_id, outcome.email = source.object_name, source.crm_id, email
        return
    savepoint.commit()
    known.remember(prospect)


def auto_create_step(
    db: Database, crm: CrmClient, clock: Clock, *, after_change: AfterChange | None = None
) -> IntakeSummary:
    """New leads and contacts (with an email no live prospect has) become prospects.

    Nothing happens with the setting off (default) or the connector paused. From the moment
    the setting was switched on (recorded on Salesforce's clock with the setting,
    `store.auto_create`), each run makes one query per object for the records created since,
    contacts first."""
    summary = IntakeSummary()
    with db.session(readonly=True) as session:
        connector = ConnectorRepository(session)
        setup = connector.get()
        state = AutoCreateState(connector)
        on, recorded = connector.settings().auto_create_prospects, state.recorded
        stored, local = state.since(), state.since_local()
        seen = {name: state.seen(name) for name in (CONTACT, LEAD)}
        config = load_config(session) if on and setup is not None else None
    if setup is None or setup.paused:
        summary.paused = setup is not None
        return summary
    if not on or config is None:
        if recorded:  # switched off behind the service's back: forget the switch-on
            with db.session() as session:
                AutoCreateState(ConnectorRepository(session)).switched_off(clock.now())
        return summary
    since = switch_on_time(stored, local, crm.server_now(), clock.now())
    if since != stored:
        with db.session() as session:
            AutoCreateState(ConnectorRepository(session)).set_since(since, clock.now())
    found, newest = _created_since(crm, config, since, seen, summary)
    with db.session() as session:
        take_new_records(session, crm, clock, config, found, summary)
        state = AutoCreateState(ConnectorRepository(session))
        for object_name, moment in newest.items():
            state.set_seen(object_name, moment, clock.now())
        if after_change is not None:
            after_change(session, summary.prospect_ids(), Origin.SALESFORCE)
    return summary


def take_new_records(
    session: Any,
    crm: CrmClient,
    clock: Clock,
    config: PushConfig,
    found: Sequence[Source],
    summary: IntakeSummary,
) -> None:
    """New records with an email no live prospect has become prospects, in `session`;
    records already linked or whose email is taken are left alone. The change stream
    brings its new records here too."""
    intake = Intake(session, clock, config)
    owners = [source.record.get("OwnerId") for source in found]
    summary.crm_calls += learn_queues(session, crm, clock, owners)
    known = intake.known([str(s.record["Email"]) for s in found], [s.crm_id for s in found])
    for source in found:
        if source.crm_id in known.by_crm_id or email_key(str(source.record["Email"])) in known.live:
            continue
        outcome = summary.add(IntakeOutcome(source.crm_id, ERROR))
        _take_one(intake, known, outcome, source)


def switch_on_time(
    stored: datetime | None, local: datetime | None, org_now: datetime, our_now: datetime
) -> datetime:
    """The switch-on time on Salesforce's clock, never in its future.

    - recorded on Salesforce's clock: that time (clamped to the org's now: one written on
      leadbridge's clock by an older version may be ahead of it);
    - recorded on leadbridge's clock (Salesforce was unreachable): converted with the clocks'
      offset now, less `LOCAL_MARGIN`;
    - not recorded (the setting was changed without the service): from now on."""
    if stored is not None:
        return min(stored, org_now)
    if local is not None:
        return min(local + (org_now - our_now) - LOCAL_MARGIN, org_now)
    return org_now


def _created_since(
    crm: CrmClient,
    config: PushConfig,
    since: datetime,
    seen: dict[str, datetime | None],
    summary: IntakeSummary,
) -> tuple[list[Source], dict[str, datetime]]:
    """The records created after `since`, contacts first, and the newest CreatedDate per object."""
    found: list[Source] = []
    newest: dict[str, datetime] = {}
    for object_name in (CONTACT, LEAD):
        start = _start(since, seen[object_name])
        summary.crm_calls += 1
        for record in crm.query(_new_records_soql(config, object_name, start)):
            created = parse_crm_datetime(str(record.get("CreatedDate") or ""))
            if created is None or created <= since or not record.get("Email"):
                continue
            newest[object_name] = max(created, newest.get(object_name, created))
            found.append(Source(object_name, record))
    return found, newest


def auto_create_runner(
    db: Database,
    crm: CrmClient,
    clock: Clock,
    after_changes: Callable[[Any, list[int]], object] | None = None,
) -> Callable[[], IntakeSummary]:
    """`auto_create_step` as a sync cycle step; `after_changes(session, ids)` as the pull's."""

    def after(
        session: Any, prospect_ids: Sequence[int], _origin: Origin, /, *, fresh: Any = ()
    ) -> object:
        return None if after_changes is None else after_changes(session, list(prospect_ids))

    return lambda: auto_create_step(db, crm, clock, after_change=after)


def _start(since: datetime, seen: datetime | None) -> datetime:
    if seen is None:
        return since
    return max(since, seen - OVERLAP)


def _new_records_soql(config: PushConfig, object_name: str, start: datetime) -> str:
    fields = ", ".join(read_fields(config, object_name))
    moment = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # whole seconds, filtered after
    converted = " AND IsConverted = false" if object_name == LEAD else ""
    return (
        f"SELECT {fields} FROM {object_name} WHERE CreatedDate >= {moment}{converted} "
        "AND Email != null ORDER BY CreatedDate"
    )


__all__ = ["auto_create_runner", "auto_create_step", "send_to_leadbridge", "take_new_records"]
