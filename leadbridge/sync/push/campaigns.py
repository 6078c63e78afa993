"""Applying "add to Salesforce campaign with status" requests for prospects now in
Salesforce: create the CampaignMember, or update its Status when it is a member already.

Per page of requests: one query for the campaigns' member statuses, one for the existing
memberships, then one create and one update (200 records a call). The status is checked
against the campaign's CampaignMemberStatus labels before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from leadbridge.domain.preflight import BAD_PICKLIST_VALUE
from leadbridge.domain.push import CAMPAIGN_NOT_FOUND, error_kind, retry_delay
from leadbridge.errors import CrmError, CrmLimitError
from leadbridge.ports import Clock, CrmClient, CrmRecord, SaveResult
from leadbridge.store.campaign_requests import CampaignRequestRepository, DueRequest
from leadbridge.store.database import Database
from leadbridge.store.sync_errors import SyncErrorRepository
from leadbridge.store.sync_state import SyncStateRepository
from leadbridge.sync.push.summary import PushSummary

MEMBER = "CampaignMember"
PAGE = 2000
IDS_PER_QUERY = 200
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


@dataclass
class _Step:
    due: DueRequest
    status: str = ""  # the label as the campaign spells it
    member_id: str | None = None  # an existing membership to update
    failure: CrmError | None = None
    done: bool = False  # applied (or nothing to do)

    @property
    def person_id(self) -> str:
        person = self.due.contact_id or self.due.lead_id
        assert person is not None
        return person


class CampaignStage:
    def __init__(self, db: Database, crm: CrmClient, clock: Clock) -> None:
        self.db = db
        self.crm = crm
        self.clock = clock

    def run(
        self, summary: PushSummary, *, prospect_ids: Sequence[int] | None = None
    ) -> CrmError | None:
        """Apply due requests (only those of `prospect_ids` when given); the error that
        stopped it (API limit, Salesforce unreachable), if one did: the requests stay
        pending for the next run."""
        seen: set[int] = set()
        while True:
            with self.db.session() as session:
                repo = CampaignRequestRepository(session, self.clock)
                due = [
                    d for d in repo.due(PAGE, prospect_ids=prospect_ids) if d.request.id not in seen
                ]
            if not due:
                return None
            seen.update(d.request.id for d in due)
            steps = [_Step(d) for d in due]
            try:
                self._check(steps)
                self._write(steps, summary)
            except CrmError as error:
                return error
            self._commit(steps, summary)

    # -- reading Salesforce ----------------------------------------------------------------

    def _check(self, steps: Sequence[_Step]) -> None:
        campaigns = sorted({s.due.request.crm_campaign_id for s in steps})
        statuses: dict[str, list[str]] = {}
        for chunk in _chunks(campaigns):
            soql = (
                "SELECT CampaignId, Label FROM CampaignMemberStatus "
                f"WHERE CampaignId IN ({_ids(chunk)}) ORDER BY SortOrder"
            )
            for row in self.crm.query(soql):
                statuses.setdefault(str(row["CampaignId"])[:15], []).append(str(row["Label"]))
        members = self._members(campaigns, [s.person_id for s in steps])
        for step in steps:
            request = step.due.request
            labels = statuses.get(request.crm_campaign_id[:15])
            if not labels:
                step.failure = CrmError(
                    CAMPAIGN_NOT_FOUND,
                    f"Salesforce has no campaign {request.crm_campaign_id} (or it has no member "
                    "statuses): check the campaign chosen in the rule or completion action.",
                )
                continue
            label = next((x for x in labels if x.lower() == request.status.lower()), None)
            if label is None:
                step.failure = CrmError(
                    BAD_PICKLIST_VALUE,
                    f"Salesforce campaign {request.crm_campaign_id} has no member status "
                    f"{request.status!r}; its statuses are {', '.join(map(repr, labels))}. Use one "
                    "of those, or add the status to the campaign in Salesforce.",
                    fields=["Status"],
                )
                continue
            step.status = label
            member = members.get((request.crm_campaign_id[:15], step.person_id[:15]))
            if member is not None:
                step.member_id = str(member["Id"])
                step.done = str(member.get("Status") or "") == label

    def _members(
        self, campaigns: Sequence[str], people: Sequence[str]
    ) -> dict[tuple[str, str], CrmRecord]:
        found: dict[tuple[str, str], CrmRecord] = {}
        leads = sorted({p for p in people if p.startswith("00Q")})
        contacts = sorted({p for p in people if not p.startswith("00Q")})
        for campaign_chunk in _chunks(campaigns):
            for object_field, ids in (("LeadId", leads), ("ContactId", contacts)):
                for chunk in _chunks(ids):
                    soql = (
                        "SELECT Id, CampaignId, LeadId, ContactId, Status FROM CampaignMember "
                        f"WHERE CampaignId IN ({_ids(campaign_chunk)}) "
                        f"AND {object_field} IN ({_ids(chunk)})"
                    )
                    for row in self.crm.query(soql):
                        person = str(row.get(object_field) or "")[:15]
                        found[(str(row["CampaignId"])[:15], person)] = row
        return found

    # -- writing ---------------------------------------------------------------------------

    def _write(self, steps: Sequence[_Step], summary: PushSummary) -> None:
        to_add = [s for s in steps if s.failure is None and not s.done and s.member_id is None]
        to_update = [s for s in steps if s.failure is None and not s.done and s.member_id]
        if to_add:
            records = [
                {
                    "CampaignId": s.due.request.crm_campaign_id,
                    "LeadId" if s.due.contact_id is None else "ContactId": s.person_id,
                    "Status": s.status,
                }
                for s in to_add
            ]
            added = self._apply(to_add, self.crm.create(MEMBER, records))
            summary.campaign_members_added += added
        if to_update:
            changes = [{"Id": s.member_id, "Status": s.status} for s in to_update]
            updated = self._apply(to_update, self.crm.update(MEMBER, changes))
            summary.campaign_members_updated += updated

    @staticmethod
    def _apply(steps: Sequence[_Step], results: Sequence[SaveResult]) -> int:
        """Mark the steps done or failed; how many were written. Raises the limit error."""
        written = 0
        limit: CrmLimitError | None = None
        for step, result in zip(steps, results, strict=True):
            error = None if result.success else result.errors[0]
            if error is None:
                step.done, written = True, written + 1
            elif error.error_code == "DUPLICATE_VALUE":
                step.done = True  # already a member: not an error
            elif isinstance(error, CrmLimitError):
                limit = limit or error
            else:
                step.failure = error
        if limit is not None:
            raise limit
        return written

    # -- recording -------------------------------------------------------------------------

    def _commit(self, steps: Sequence[_Step], summary: PushSummary) -> None:
        with self.db.session() as session:
            repo = CampaignRequestRepository(session, self.clock)
            errors = SyncErrorRepository(session, self.clock)
            applied = [s for s in steps if s.done]
            repo.mark_applied([s.due.request.id for s in applied])
            state = SyncStateRepository(session, self.clock)
            errors.resolve(
                state.open_errors([s.due.request.prospect_id for s in applied], [MEMBER])
            )
            for step in steps:
                if step.failure is None:
                    continue
                failure = step.failure
                kind = error_kind(failure.error_code, status=failure.status)
                summary.errors[str(kind)] += 1
                errors.record(
                    step.due.request.prospect_id,
                    error_code=failure.error_code,
                    message=failure.message,
                    crm_object=MEMBER,
                    crm_id=step.member_id,
                    fields=failure.fields,
                )
                text = f"{failure.error_code}: {failure.message}"
                if retry_delay(kind, step.due.request.attempts) is None:
                    repo.mark_failed(step.due.request.id, text)
                else:
                    repo.retry_later(step.due.request.id, text)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    return (items[i : i + IDS_PER_QUERY] for i in range(0, len(items), IDS_PER_QUERY))


def _ids(ids: Iterable[str]) -> str:
    """A SOQL list of record ids (checked, so they need no escaping)."""
    checked = []
    for crm_id in ids:
        if not _ID.match(crm_id):
            raise ValueError(f"{crm_id!r} is not a Salesforce id")
        checked.append(f"'{crm_id}'")
    return ", ".join(checked)
