"""Applying one page of changed Salesforce records to their prospects, in one transaction:
fields (through the shared field rules and echo memory), owner, email, conversion, deletes,
undeletes and merges. Records not linked to a prospect are ignored.

With the CRM client at hand, "most recent" gets per-field times on Salesforce's clock: the
prospects' change times moved by the offset between Salesforce's clock and ours, and the
field history of the page's fields in true conflict (both sides changed), read in one batch.
Values a push sent but never recorded (a crash) count as leadbridge's own echo."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from leadbridge.domain.conversion import converted_state
from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.domain.pull import (
    EMAIL_NOT_APPLIED,
    EMAIL_TAKEN,
    OWNER_NOT_MAPPED,
    VALUE_REFUSED,
    RecordState,
    email_change,
    email_not_applied_message,
    merge_blanks,
    plan_pull,
    record_state,
)
from leadbridge.domain.push_record import ProspectValues, conflicts
from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock, CrmClient, CrmRecord
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_pull_writes import apply_crm_values
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.queues import is_queue_id
from leadbridge.store.sync_errors import SyncErrorRepository
from leadbridge.store.sync_state import Agreed, Link, SyncStateRepository
from leadbridge.store.users import UserRepository
from leadbridge.sync.config import PushConfig
from leadbridge.sync.field_times import RecordTimes, history_times, server_offset
from leadbridge.sync.pull.summary import PullSummary
from leadbridge.sync.push.inputs import with_sent
from leadbridge.sync.queues import learn_queues

ACTOR = "salesforce"
# Called in the pull's transaction with the prospects it changed (automation rules).
AfterChanges = Callable[[Any, list[int]], object]


class PageApplier:
    def __init__(
        self,
        session: Any,
        clock: Clock,
        config: PushConfig,
        object_name: str,
        summary: PullSummary,
        crm: CrmClient | None = None,
    ) -> None:
        self.session = session
        self.crm = crm
        self.config = config
        self.object_name = object_name
        self.obj = config.objects[object_name]
        self.rules = config.rules[object_name]
        self.summary = summary
        self.now = clock.now()
        self.clock = clock
        self.crm_ids: dict[int, str] = {}
        self.prospects = ProspectRepository(session, clock)
        self.state = SyncStateRepository(session, clock)
        self.errors = SyncErrorRepository(session, clock)
        self.changed: list[int] = []
        self.links: list[Link] = []
        self.values: dict[int, tuple[Prospect, dict[str, Any]]] = {}  # written per page
        self.agreed_now: list[Agreed] = []
        self.push_back: list[int] = []  # prospects whose winning values Salesforce lacks
        self.prospect_values: dict[int, tuple[Prospect, ProspectValues]] = {}

    def apply(self, records: Sequence[CrmRecord]) -> list[int]:
        """Apply the page; the ids of the prospects whose fields or owner changed."""
        self.summary.read += len(records)
        ids = [str(r["Id"]) for r in records]
        masters = [str(r["MasterRecordId"]) for r in records if r.get("MasterRecordId")]
        linked = self.prospects.by_crm_ids([*ids, *masters])
        pids = [p.id for p in linked.values()]
        self.agreed = with_sent(self.state.agreed(pids), self.state.sent(pids))
        self.change_times = self.state.last_changes(pids, [r.field for r in self.rules])
        self.offset = timedelta() if self.crm is None else server_offset(self.crm, self.clock)
        self.history = self._history(records, linked)
        self.owners = {
            u.crm_user_id: u.id for u in UserRepository(self.session).list() if u.crm_user_id
        }
        learn_queues(
            self.session,
            self.crm,
            self.clock,
            [_text(r.get("OwnerId")) for r in records if str(r["Id"]) in linked],
        )
        for record in records:
            prospect = linked.get(str(record["Id"]))
            if prospect is None or not self._follows(prospect, str(record["Id"])):
                continue
            self.summary.pulled += 1
            self._record(prospect, record, linked)
        self._write_values()
        self.state.link(self.links)
        self.state.remember(self.agreed_now)
        if self.push_back:
            OutboxRepository(self.session, self.clock).enqueue_unless_pending(
                PUSH, self.push_back, "Salesforce changed a field leadbridge's value wins"
            )
        return list(dict.fromkeys(self.changed))

    def _history(self, records: Sequence[CrmRecord], linked: dict[str, Prospect]) -> RecordTimes:
        """Salesforce's field history for the fields where both sides changed (one read)."""
        if self.crm is None:
            return {}
        wanted: dict[str, list[str]] = {}
        for record in records:
            prospect = linked.get(str(record["Id"]))
            if prospect is None or record_state(record) is not RecordState.LIVE:
                continue
            names = conflicts(
                self.obj,
                self.rules,
                self._values(prospect),
                record,
                self.agreed.get((prospect.id, self.object_name), {}),
            )
            if names:
                wanted[str(record["Id"])] = names
        return history_times(self.crm, self.object_name, wanted)

    def _values(self, prospect: Prospect) -> ProspectValues:
        """The prospect's mapped values as read at the start of the page (made once)."""
        found = self.prospect_values.get(prospect.id)
        if found is None or found[0] is not prospect:
            values = ProspectValues(
                prospect.email,
                {rule.field: prospect.value(rule.field) for rule in self.rules},
                self.change_times.get(prospect.id, {}),
                prospect.updated_at,
            )
            found = self.prospect_values[prospect.id] = (prospect, values)
        return found[1]

    def _follows(self, prospect: Prospect, crm_id: str) -> bool:
        """A prospect follows its contact once it has one; its lead only until then."""
        if self.object_name == CONTACT:
            return prospect.crm_contact_id == crm_id
        return prospect.crm_contact_id is None and prospect.crm_lead_id == crm_id

    def _record(self, prospect: Prospect, record: CrmRecord, linked: dict[str, Prospect]) -> None:
        settings = self.config.settings
        state = record_state(record)
        if state is RecordState.MERGED and settings.sync_deletes_and_merges:
            self._merged(prospect, str(record["MasterRecordId"]), linked)
            return
        if state is RecordState.DELETED:
            if settings.sync_deletes_and_merges and not prospect.recycled:
                self.prospects.recycle(
                    prospect.id, origin=Origin.SALESFORCE, actor=ACTOR, deleted_in_crm=True
                )
                self.summary.deleted += 1
            return
        if prospect.recycled:
            if not (prospect.deleted_in_crm and settings.sync_deletes_and_merges):
                return  # recycled in leadbridge: not followed
            try:
                prospect = self.prospects.restore(
                    prospect.id, origin=Origin.SALESFORCE, actor=ACTOR
                )
            except LeadbridgeError as error:
                self._warn(prospect, EMAIL_TAKEN, f"not restored: {error}", str(record["Id"]))
                return
            self.summary.restored += 1
        if state is RecordState.CONVERTED:
            contact_id = str(record["ConvertedContactId"])
            self.prospects.link_crm(
                prospect.id,
                contact_id=contact_id,
                account_id=_text(record.get("ConvertedAccountId")),
                synced_at=self.now,
            )
            self._carry_over(prospect, contact_id)
            self.summary.relinked += 1
            return
        self._fields(prospect, record)

    def _carry_over(self, prospect: Prospect, contact_id: str) -> None:
        """The contact starts agreeing on what the converted lead agreed on (see
        `domain.conversion`), so fields neither side changed stay quiet."""
        carried = converted_state(
            self.config.rules[LEAD],
            self.config.objects[CONTACT],
            self.config.rules[CONTACT],
            self.agreed.get((prospect.id, LEAD), {}),
        )
        self.state.remember([Agreed(prospect.id, CONTACT, contact_id, carried)], replace=True)

    def _fields(self, prospect: Prospect, record: CrmRecord) -> None:
        crm_id = str(record["Id"])
        values = self._values(prospect).shifted(self.offset)
        agreed = self.agreed.get((prospect.id, self.object_name), {})
        theirs_at = self.history.get(crm_id, {})
        plan = plan_pull(self.obj, self.rules, values, record, agreed, theirs_at)
        email = self._email(prospect, record)
        if email:  # rare: through `update`, for the uniqueness check
            try:
                self.prospects.update(prospect.id, email, origin=Origin.SALESFORCE, actor=ACTOR)
            except LeadbridgeError as error:
                self._warn(prospect, EMAIL_TAKEN, f"email not changed: {error}", crm_id)
            else:
                self.summary.changed_fields += 1
                self.changed.append(prospect.id)
        if plan.changes:
            self.values[prospect.id] = (prospect, dict(plan.changes))
            self.crm_ids[prospect.id] = crm_id
        if plan.ours_win and prospect.assigned_user_id is not None:
            self.push_back.append(prospect.id)  # Salesforce lacks leadbridge's winning value
        owner = self._owner(prospect, record)
        account = _text(record.get("AccountId"))
        if account is not None and account != prospect.crm_account_id:
            self.prospects.link_crm(prospect.id, account_id=account)
        self.links.append(Link(prospect.id, owner_id=owner, synced_at=self.now))
        self.agreed_now.append(Agreed(prospect.id, self.object_name, crm_id, plan.agreed))

    def _write_values(self) -> None:
        """The page's field changes in one go; refused values become warnings."""
        if not self.values:
            return
        written, refused = apply_crm_values(self.session, self.clock, self.values, actor=ACTOR)
        for pid, count in written.items():
            self.summary.changed_fields += count
            self.summary.changed_prospects += 1
            self.changed.append(pid)
        for pid, error in refused.items():
            message = f"Salesforce's values refused: {error}"
            self._warn(self.values[pid][0], VALUE_REFUSED, message, self.crm_ids[pid])

    def _email(self, prospect: Prospect, record: CrmRecord) -> dict[str, Any]:
        theirs = email_change(prospect.email, record.get("Email"))
        if theirs is None:
            return {}
        crm_id = str(record["Id"])
        if not self.config.settings.apply_crm_email_changes:
            self._warn(
                prospect,
                EMAIL_NOT_APPLIED,
                email_not_applied_message(theirs, prospect.email),
                crm_id,
            )
            return {}
        other = self.prospects.by_email(theirs)
        if other is not None and other.id != prospect.id:
            message = (
                f"Salesforce changed the email to {theirs}; leadbridge kept {prospect.email} "
                f"because prospect {other.id} already has {email_key(theirs)}"
            )
            self._warn(prospect, EMAIL_TAKEN, message, crm_id)
            return {}
        self.summary.emails_changed += 1
        return {"email": theirs}

    def _owner(self, prospect: Prospect, record: CrmRecord) -> str | None:
        """Follow a new Salesforce owner; the owner id to record (None: unchanged).

        A queue (`store.queues`) is recorded as the owner and nothing more: it is no user, so
        no warning, and the prospect's assignment in leadbridge stays as it is."""
        owner = _text(record.get("OwnerId"))
        if owner is None or owner == prospect.crm_owner_id:
            return None
        if is_queue_id(owner):
            return owner
        user_id = self.owners.get(owner)
        if user_id is None:
            message = f"the Salesforce owner {owner} is not mapped to a leadbridge user"
            self._warn(prospect, OWNER_NOT_MAPPED, message, str(record["Id"]))
        elif user_id != prospect.assigned_user_id:
            self.prospects.assign(prospect.id, user_id, origin=Origin.SALESFORCE, actor=ACTOR)
            self.summary.owners_changed += 1
            self.changed.append(prospect.id)
        return owner

    def _merged(self, loser: Prospect, master_id: str, linked: dict[str, Prospect]) -> None:
        survivor = linked.get(master_id)
        if survivor is not None and survivor.id != loser.id and not survivor.recycled:
            copied = merge_blanks(
                {r.field: survivor.value(r.field) for r in self.rules},
                {r.field: loser.value(r.field) for r in self.rules},
                [r.field for r in self.rules],
            )
            if not loser.recycled:
                self.prospects.recycle(loser.id, origin=Origin.SALESFORCE, actor=ACTOR)
            if copied:
                self.prospects.update(survivor.id, copied, origin=Origin.SALESFORCE, actor=ACTOR)
                self.changed.append(survivor.id)
            self.summary.prospects_merged += 1
            return
        lead, contact = (master_id, None) if self.object_name == LEAD else (None, master_id)
        self.prospects.link_crm(loser.id, lead_id=lead, contact_id=contact, synced_at=self.now)
        self.state.forget(loser.id, self.object_name)
        self.summary.merged += 1

    def _warn(self, prospect: Prospect, code: str, message: str, crm_id: str) -> None:
        self.errors.record(
            prospect.id,
            error_code=code,
            message=message,
            crm_object=self.object_name,
            crm_id=crm_id,
        )
        self.summary.warnings += 1


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
