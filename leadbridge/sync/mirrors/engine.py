"""The read-only mirrors: Salesforce accounts, opportunities, campaigns, custom objects and
users that belong to synced prospects, copied into leadbridge. Nothing here writes to
Salesforce.

    summary = mirror_step(db, crm, clock)

Each window is on Salesforce's clock (`CrmClient.server_now()` when its object is read, so
each estimate is as fresh as the last reply), never this machine's; a cursor never moves past
that time, so a change made during a step is read by the next:

1. Campaign and CampaignMemberStatus: records changed since the cursor (all of them the
   first time): what the "add to Salesforce campaign" action offers.
2. Prospects synced since the last step (all linked ones the first time; leadbridge's own
   clock, as the prospects' sync times are) are backfilled in
   batches: their contacts' AccountId (setting the prospect's account link), those accounts,
   the opportunity contact roles on their contacts and those opportunities, their campaign
   memberships, and the enabled custom objects' records that look up to them.
3. Account, Opportunity, OpportunityContactRole, CampaignMember and each enabled custom
   object: one SystemModstamp-window query each, kept only when it concerns a synced
   prospect (or a record already mirrored).
4. Users, at most every `USERS_POLL_HOURS`.

A quiet org costs one query per mirrored object; a paused connector, none. A Salesforce
error stops the step; objects already done keep their new cursor, the rest are read again
next time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from leadbridge.domain.pull import query_end
from leadbridge.errors import CrmError
from leadbridge.ports import Clock, CrmClient, CrmRecord
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.field_mappings import FieldMappingRepository
from leadbridge.store.mirrors import LinkedPerson, MirrorRepository
from leadbridge.store.mirrors_campaigns import CampaignMirrorRepository
from leadbridge.store.mirrors_custom import CustomObjectRepository, CustomObjectType
from leadbridge.store.models import Edition
from leadbridge.sync.mirrors import records as rec
from leadbridge.sync.mirrors.custom import EDITION_MESSAGE
from leadbridge.sync.mirrors.summary import MirrorSummary
from leadbridge.sync.mirrors.users import poll_users, users_due

KIND = "mirror"
PROSPECTS = "Prospect"  # the cursor of the backfill: prospects synced since
USERS = "User"
OVERLAP = timedelta(seconds=2)  # re-read a little: upserts are idempotent
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def mirror_step(db: Database, crm: CrmClient, clock: Clock) -> MirrorSummary:
    return _Step(db, crm, clock).run()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class _Step:
    def __init__(self, db: Database, crm: CrmClient, clock: Clock) -> None:
        self.db, self.crm, self.clock = db, crm, clock
        self.start = clock.now()  # leadbridge's bookkeeping: mirrored-at times, the backfill
        self.read_at: dict[str, datetime] = {}  # object → Salesforce's time its window ended
        self.summary = MirrorSummary()
        with db.session(readonly=True) as session:
            connector = ConnectorRepository(session)
            config = connector.get()
            self.edition = Edition.STANDARD if config is None else config.edition
            self.paused = config is None or config.paused
            self.cursors: dict[str, datetime | None] = {}
            self.account_fields = {
                m.field: m.account_field for m in FieldMappingRepository(session).list_account()
            }
            self.custom = CustomObjectRepository(session).enabled()
            names = ["Campaign", "CampaignMemberStatus", "Account", "Opportunity"]
            names += ["OpportunityContactRole", "CampaignMember", PROSPECTS, USERS]
            names += [kind.api_name for kind in self.custom]
            for name in names:
                self.cursors[name] = _parse(connector.cursor(name, KIND))
        if self.custom and self.edition is Edition.STANDARD:
            self.summary.warnings.append(
                f"{EDITION_MESSAGE}: {', '.join(k.api_name for k in self.custom)} not mirrored"
            )
            self.custom = []

    def run(self) -> MirrorSummary:
        if self.paused:
            self.summary.paused = True
            return self.summary
        before = _calls(self.crm)
        try:
            self._campaigns()
            self._backfill()
            self._windows()
            self.read_at[USERS] = self.crm.server_now()
            if users_due(self.cursors[USERS], self.read_at[USERS]):
                self.summary.users = poll_users(self.db, self.crm, self.clock)
                self._advance(USERS)
        except CrmError as error:
            self.summary.stopped = f"stopped: Salesforce refused or could not be reached ({error})"
        finally:
            self.summary.api_calls = _calls(self.crm) - before
        return self.summary

    # -- 1. campaigns ----------------------------------------------------------------------------

    def _campaigns(self) -> None:
        records = self._changed("Campaign", rec.CAMPAIGN_FIELDS, full=True)
        with self.db.session() as session:
            repo = CampaignMirrorRepository(session)
            self.summary.campaigns += repo.upsert_campaigns(
                [rec.campaign(r) for r in records], self.start
            )
        self._advance("Campaign")
        records = self._changed("CampaignMemberStatus", rec.STATUS_FIELDS, full=True)
        with self.db.session() as session:
            repo = CampaignMirrorRepository(session)
            self.summary.campaign_statuses += repo.upsert_statuses(
                [rec.status(r) for r in records], self.start
            )
        self._advance("CampaignMemberStatus")

    # -- 2. prospects synced since the last step -------------------------------------------------

    def _backfill(self) -> None:
        since = self.cursors[PROSPECTS]
        with self.db.session(readonly=True) as session:
            people = MirrorRepository(session).linked_people(
                None if since is None else since - OVERLAP
            )
        if people:
            contacts = [p.contact_id for p in people if p.contact_id]
            leads = [p.lead_id for p in people if p.lead_id]
            accounts = self._account_links(contacts)
            accounts.update(p.account_id for p in people if p.account_id)
            self._store_accounts(self._retrieve("Account", accounts, self._account_select()))
            self._roles(
                self._where("OpportunityContactRole", rec.ROLE_FIELDS, {"ContactId": contacts})
            )
            members = self._where(
                "CampaignMember", rec.MEMBER_FIELDS, {"ContactId": contacts, "LeadId": leads}
            )
            self._members(members, people)
            for kind in self.custom:
                self._custom(kind, self._custom_backfill(kind, contacts, leads, accounts))
        self._advance(PROSPECTS)

    def _account_links(self, contacts: Sequence[str]) -> set[str]:
        records = self._retrieve("Contact", contacts, ("Id", "AccountId"))
        links = {
            str(r["Id"]): (None if r.get("AccountId") is None else str(r["AccountId"]))
            for r in records
        }
        with self.db.session() as session:
            self.summary.account_links += MirrorRepository(session).set_account_links(links)
        return {account for account in links.values() if account}

    def _custom_backfill(
        self,
        kind: CustomObjectType,
        contacts: Sequence[str],
        leads: Sequence[str],
        accounts: Iterable[str],
    ) -> list[CrmRecord]:
        by_target = {"Contact": list(contacts), "Lead": list(leads), "Account": sorted(accounts)}
        columns = {name: by_target[target] for name, target in kind.lookups().items()}
        return self._where(kind.api_name, self._custom_select(kind), columns)

    # -- 3. changes since the cursor ---------------------------------------------------------------

    def _windows(self) -> None:
        accounts = self._changed("Account", self._account_select())
        with self.db.session(readonly=True) as session:
            linked = MirrorRepository(session).linked_account_ids(str(r["Id"]) for r in accounts)
        self._store_accounts([r for r in accounts if str(r["Id"]) in linked])
        self._advance("Account")

        opportunities = self._changed("Opportunity", rec.OPPORTUNITY_FIELDS)
        with self.db.session(readonly=True) as session:
            known = MirrorRepository(session).opportunity_ids(str(r["Id"]) for r in opportunities)
        self._store_opportunities([r for r in opportunities if str(r["Id"]) in known])
        self._advance("Opportunity")

        self._roles(self._changed("OpportunityContactRole", rec.ROLE_FIELDS))
        self._advance("OpportunityContactRole")

        members = self._changed("CampaignMember", rec.MEMBER_FIELDS)
        with self.db.session(readonly=True) as session:
            persons = [str(r.get(c)) for r in members for c in ("ContactId", "LeadId") if r.get(c)]
            found = MirrorRepository(session).prospects_by_person(persons)
        self._members(members, None, people=set(found))
        self._advance("CampaignMember")

        for kind in self.custom:
            self._custom(kind, self._changed(kind.api_name, self._custom_select(kind)))
            self._advance(kind.api_name)

    # -- storing -------------------------------------------------------------------------------

    def _store_accounts(self, records: Sequence[CrmRecord]) -> None:
        if not records:
            return
        data = [rec.account(r, self.account_fields) for r in records]
        with self.db.session() as session:
            self.summary.accounts += MirrorRepository(session).upsert_accounts(data, self.start)

    def _store_opportunities(self, records: Sequence[CrmRecord]) -> None:
        if not records:
            return
        data = [rec.opportunity(r) for r in records]
        with self.db.session() as session:
            self.summary.opportunities += MirrorRepository(session).upsert_opportunities(
                data, self.start
            )

    def _roles(self, records: Sequence[CrmRecord]) -> None:
        """Roles on synced contacts, with their opportunities (retrieved when not mirrored)."""
        if not records:
            return
        with self.db.session(readonly=True) as session:
            repo = MirrorRepository(session)
            people = repo.prospects_by_person(str(r.get("ContactId")) for r in records)
            roles = [r for r in records if str(r.get("ContactId")) in people]
            known = repo.opportunity_ids(str(r.get("OpportunityId")) for r in roles)
        missing = {str(r.get("OpportunityId")) for r in roles} - known
        self._store_opportunities(self._retrieve("Opportunity", missing, rec.OPPORTUNITY_FIELDS))
        if roles:
            with self.db.session() as session:
                self.summary.contact_roles += MirrorRepository(session).upsert_roles(
                    [rec.role(r) for r in roles]
                )

    def _members(
        self,
        records: Sequence[CrmRecord],
        linked: Sequence[LinkedPerson] | None,
        *,
        people: set[str] | None = None,
    ) -> None:
        if not records:
            return
        if people is None:
            people = {i for p in linked or () for i in (p.contact_id, p.lead_id) if i}
        data = [rec.member(r, people) for r in records]
        wanted = sorted({m.campaign_crm_id for m in data if m.person_crm_id in people})
        with self.db.session(readonly=True) as session:
            missing = set(wanted) - CampaignMirrorRepository(session).campaign_ids(wanted)
        if missing:  # newer than the campaign window's end
            campaigns = self._retrieve("Campaign", missing, rec.CAMPAIGN_FIELDS)
            with self.db.session() as session:
                self.summary.campaigns += CampaignMirrorRepository(session).upsert_campaigns(
                    [rec.campaign(r) for r in campaigns], self.start
                )
        with self.db.session() as session:
            self.summary.campaign_members += CampaignMirrorRepository(session).upsert_members(
                data, self.start
            )

    def _custom(self, kind: CustomObjectType, records: Sequence[CrmRecord]) -> None:
        if not records:
            return
        data = [rec.custom_record(r, kind) for r in records]
        with self.db.session() as session:
            stored = CustomObjectRepository(session).upsert_records(kind.api_name, data, self.start)
        self.summary.custom_records[kind.api_name] += stored

    # -- reading Salesforce ----------------------------------------------------------------------

    def _account_select(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*rec.ACCOUNT_FIELDS, *self.account_fields.values()]))

    @staticmethod
    def _custom_select(kind: CustomObjectType) -> tuple[str, ...]:
        names = [str(f["name"]) for f in kind.fields]
        return tuple(dict.fromkeys(["Id", "SystemModstamp", *names]))

    def _changed(self, name: str, fields: Sequence[str], *, full: bool = False) -> list[CrmRecord]:
        """Records changed since the cursor; none without one unless `full` (then all)."""
        cursor = self.cursors.get(name)
        now = self.read_at[name] = self.crm.server_now()
        if cursor is None and not full:
            return []
        # a cursor in the org's future (its clock moved, or an older leadbridge wrote ours)
        # is clamped to the org's now
        begin = EPOCH if cursor is None else min(cursor, now) - OVERLAP
        self.summary.calls_by_object[name] += 1
        return list(self.crm.changed(name, fields, begin, query_end(now)))

    def _retrieve(self, name: str, ids: Iterable[str], fields: Sequence[str]) -> list[CrmRecord]:
        wanted = [i for chunk in rec.id_chunks(ids) for i in chunk]
        if not wanted:
            return []
        self.summary.calls_by_object[name] += 1
        return self.crm.retrieve(name, wanted, fields)

    def _where(
        self, name: str, fields: Sequence[str], columns: dict[str, list[str]]
    ) -> list[CrmRecord]:
        """Records whose columns hold any of the ids, in batched queries."""
        found: dict[str, CrmRecord] = {}
        select = f"SELECT {', '.join(fields)} FROM {name}"
        for column, ids in columns.items():
            for chunk in rec.id_chunks(ids):
                self.summary.calls_by_object[name] += 1
                for record in self.crm.query(f"{select} WHERE {rec.where_any({column: chunk})}"):
                    found[str(record["Id"])] = record
        return list(found.values())

    def _advance(self, name: str) -> None:
        """Move `name`'s cursor: to Salesforce's time its window ended (this step's start on
        leadbridge's clock for the prospects' backfill, as the prospects' sync times are)."""
        value = self.read_at.get(name, self.start)
        with self.db.session() as session:
            ConnectorRepository(session).set_cursor(name, KIND, value.isoformat(), self.start)


def _calls(crm: CrmClient) -> int:
    usage = crm.usage()
    return sum(count for kind, count in usage.calls_by_kind.items() if kind != "login")
