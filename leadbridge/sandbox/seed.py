"""Demo data for the sandbox org: sales reps, accounts, contacts, leads, deals, campaigns.

Deterministic: the same seed gives the same records in a fresh org. Each object type draws
from its own `random.Random` stream (seeded with seed and object name), so asking for more
leads does not change the accounts. Faker is only called to build small pools of names,
companies, titles and cities once; records combine pool entries, which is what makes a
million leads affordable. Leads are generated and inserted in chunks so memory stays bounded.

Seeding an org that already holds records adds to it: e-mail numbers start after the existing
leads and contacts, and usernames skip those already taken.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from faker import Faker

from .org import Org
from .records import DEFAULT_MEMBER_STATUSES, LEAD_STATUSES
from .storage import quote

MAX_LEADS = 1_000_000
LEAD_CHUNK = 50_000
# From this many new leads (and no fewer than exist), indexes are rebuilt once after loading
# instead of row by row.
BULK_LOAD_THRESHOLD = 20_000
SALES_DOMAIN = "sandbox-sales.leadbridge.test"
WINDOW_DAYS = 90
DAY_MS = 86_400_000
QUALIFIED = "Qualified"

Row = dict[str, Any]
Random01 = Callable[[], float]
T = TypeVar("T")

FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com")
BUSINESS_TITLES = (
    "Marketing Manager", "Director of Marketing", "VP of Marketing", "Chief Marketing Officer",
    "Head of Growth", "Demand Generation Manager", "Sales Operations Manager", "VP of Sales",
    "Chief Technology Officer", "IT Director", "Procurement Manager", "Operations Director",
    "Chief Executive Officer", "Chief Financial Officer", "Product Manager", "Office Manager",
)  # fmt: skip
REP_TITLES = ("Account Executive", "Sales Development Representative", "Sales Manager",
              "Senior Account Executive", "Regional Sales Director")  # fmt: skip
REP_TIME_ZONES = ("America/New_York", "America/Chicago", "America/Denver",
                  "America/Los_Angeles", "Europe/London")  # fmt: skip
ABROAD = {
    "Canada": ("Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa"),
    "United Kingdom": ("London", "Manchester", "Leeds", "Bristol", "Edinburgh"),
    "Germany": ("Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne"),
    "France": ("Paris", "Lyon", "Toulouse", "Nantes", "Lille"),
    "Australia": ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"),
}
COUNTRY_WEIGHTS = {"United States": 70, "Canada": 8, "United Kingdom": 8, "Germany": 5,
                   "France": 5, "Australia": 4}  # fmt: skip
LEAD_STATUS_WEIGHTS = {"Open - Not Contacted": 40, "Working - Contacted": 30, QUALIFIED: 15,
                       "Closed - Not Converted": 15}  # fmt: skip
STAGE_PROBABILITY = {"Prospecting": 10, "Qualification": 20, "Needs Analysis": 40,
                     "Proposal/Price Quote": 60, "Negotiation/Review": 80, "Closed Won": 100,
                     "Closed Lost": 0}  # fmt: skip
STAGE_WEIGHTS = {"Prospecting": 20, "Qualification": 20, "Needs Analysis": 15,
                 "Proposal/Price Quote": 15, "Negotiation/Review": 10, "Closed Won": 12,
                 "Closed Lost": 8}  # fmt: skip
PLAN_WEIGHTS = {"Free": 50, "Pro": 35, "Enterprise": 15}
DEALS = ("New Licenses", "Renewal", "Expansion", "Professional Services", "Pilot", "Upgrade")
SEEDED_OBJECTS = (
    "User", "Group", "QueueSobject", "Account", "Contact", "Lead", "Opportunity",
    "OpportunityContactRole", "Campaign", "CampaignMemberStatus", "CampaignMember",
    "Subscription__c",
)  # fmt: skip
# Lead queues (Name, DeveloperName); about one lead in QUEUE_SHARE is owned by one of them.
QUEUES = (("Inbound Leads", "Inbound_Leads"), ("Partner Leads", "Partner_Leads"))
QUEUE_SHARE = 20
COMPANY_NOISE = frozenset({"and", "llc", "inc", "ltd", "plc", "group", "sons", "co", "the"})


@dataclass(frozen=True)
class SeedSizes:
    """How many records of each kind to create (one inactive user is always added)."""

    users: int = 8
    accounts: int = 20
    contacts: int = 60
    leads: int = 200
    opportunities: int = 15
    campaigns: int = 4
    campaign_members: int = 80
    subscriptions: int = 20
    queues: int = 2  # lead queues (at most len(QUEUES)), each owning some leads

    def __post_init__(self) -> None:
        for size in fields(self):
            value = getattr(self, size.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{size.name} must be a non-negative integer, got {value!r}")
        if self.queues > len(QUEUES):
            raise ValueError(f"queues must be at most {len(QUEUES)}, got {self.queues}")
        if self.leads > MAX_LEADS:
            raise ValueError(f"leads must be at most {MAX_LEADS:,}, got {self.leads:,}")
        for child, parent in (("contacts", "accounts"), ("opportunities", "contacts"),
                              ("subscriptions", "contacts")):  # fmt: skip
            if getattr(self, child) and not getattr(self, parent):
                raise ValueError(f"{child} need at least one of {parent}")
        room = self.campaigns * (self.leads + self.contacts)
        if self.campaign_members > room:
            raise ValueError(
                f"campaign_members ({self.campaign_members}) exceeds the unique campaign/person "
                f"pairs available ({room})"
            )


def seed_org(org: Org, *, seed: int = 42, sizes: SeedSizes = SeedSizes()) -> dict[str, int]:
    """Fill the org with realistic demo data; returns how many records of each object it made.

    The result has every object of SEEDED_OBJECTS as a key, in that order (0 when none).
    """
    return _Seeder(org, seed, sizes).run()


# -------------------------------------------------------------------------------- pools


@dataclass(frozen=True)
class _Name:
    """A pool entry: the text shown on records and its ASCII slug for e-mail addresses."""

    text: str
    slug: str


@dataclass(frozen=True)
class _Company:
    name: str
    domain: str


@dataclass(frozen=True)
class _Pools:
    first_names: tuple[_Name, ...]
    last_names: tuple[_Name, ...]
    companies: tuple[_Company, ...]
    titles: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, state code)
    phrases: tuple[str, ...]


def _slug(text: str, limit: int) -> str:
    """Lower-case ASCII letters only: `Zoë O'Brien-Núñez` → `zoeobriennunez`."""
    return re.sub(r"[^a-z]", "", _ascii(text).lower())[:limit] or "x"


def _company(fake: Any) -> _Company:
    name = str(fake.company())[:80]
    words = [w for w in re.findall(r"[a-z]+", _ascii(name).lower()) if w not in COMPANY_NOISE]
    label = "".join(words[:2])[:24] or "company"
    tld = fake.random_element(("com", "com", "com", "com", "net", "io", "co"))
    return _Company(name, f"{label}.{tld}")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@lru_cache(maxsize=8)
def _pools(seed: int, size: int) -> _Pools:
    """Faker output, drawn once per (seed, size); `size` scales the pools to the data wanted."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    firsts = (str(fake.first_name()) for _ in range(size))
    lasts = (str(fake.last_name()) for _ in range(size))
    titles = [str(fake.job())[:80] for _ in range(max(20, size // 10))]
    return _Pools(
        first_names=tuple(_Name(text[:40], _slug(text, 15)) for text in firsts),
        last_names=tuple(_Name(text[:80], _slug(text, 20)) for text in lasts),
        companies=tuple(_company(fake) for _ in range(max(20, size // 2))),
        titles=tuple(titles) + BUSINESS_TITLES * max(1, len(titles) // len(BUSINESS_TITLES)),
        cities=tuple((str(fake.city())[:40], str(fake.state_abbr())) for _ in range(200)),
        phrases=tuple(str(fake.catch_phrase()).title()[:50] for _ in range(50)),
    )


def _pool_size(sizes: SeedSizes) -> int:
    people = sizes.users + sizes.contacts + sizes.leads
    return min(2_000, max(100, people))


def _bag(values: Sequence[str], weights: dict[str, int], other: int = 5) -> tuple[str, ...]:
    """`values` repeated by weight, so that one uniform pick is a weighted pick."""
    bag = tuple(value for value in values for _ in range(weights.get(value, other)))
    return bag or tuple(values)


def _pick(rand: Random01, items: Sequence[T]) -> T:
    return items[int(rand() * len(items))]


def _phone(rand: Random01) -> str:
    area, exchange, line = 201 + int(rand() * 780), 200 + int(rand() * 800), int(rand() * 10_000)
    return f"({area}) {exchange}-{line:04d}"


# -------------------------------------------------------------------------------- time


class _Timeline:
    """Random moments of the last WINDOW_DAYS as Salesforce datetimes (`...T12:00:00.000+0000`,
    whole seconds).

    Formats by hand rather than with `clock.format_datetime`: the result is the same, and it is
    several times faster, which matters for a million leads.
    """

    def __init__(self, now: datetime) -> None:
        self.end_ms = int(now.timestamp()) * 1000
        self.start_ms = self.end_ms - WINDOW_DAYS * DAY_MS
        self._days: dict[int, str] = {}

    def text(self, moment_ms: int) -> str:
        seconds = moment_ms // 1000  # whole seconds, as Salesforce stores datetimes
        day, second_of_day = divmod(seconds, 86_400)
        day_text = self._days.get(day)
        if day_text is None:
            day_text = self._days[day] = self.date(day * DAY_MS).isoformat()
        hours, rest = divmod(second_of_day, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{day_text}T{hours:02d}:{minutes:02d}:{secs:02d}.000+0000"

    @staticmethod
    def date(moment_ms: int) -> date:
        return datetime.fromtimestamp(moment_ms / 1000, UTC).date()

    def stamps(
        self, rand: Random01, after_ms: int | None = None, until_ms: int | None = None
    ) -> tuple[int, Row]:
        """A creation moment in [after, until) and its audit fields."""
        low = max(self.start_ms, after_ms or self.start_ms)
        high = max(low, until_ms or self.end_ms)
        created = low + int(rand() * (high - low))
        return created, self.audit(created, rand)

    def audit(self, created_ms: int, rand: Random01) -> Row:
        """CreatedDate and a later (or equal) last modification; 40% were never modified."""
        created = self.text(created_ms)
        changed = created
        if rand() >= 0.4:
            changed = self.text(created_ms + int(rand() * (self.end_ms - created_ms)))
        return {
            "CreatedDate": created,
            "LastModifiedDate": changed,
            "SystemModstamp": changed,
        }


# -------------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class _Account:
    id: str
    name: str
    domain: str
    owner_id: str
    created_ms: int


@dataclass(frozen=True)
class _Person:
    """A seeded lead or contact, as campaign members and contact roles need it."""

    id: str
    first: str
    last: str
    email: str
    company: str
    owner_id: str
    created_ms: int
    account: _Account | None = None


class _Seeder:
    """One seeding run; keeps the few records that later records point at (not the leads)."""

    def __init__(self, org: Org, seed: int, sizes: SeedSizes) -> None:
        self.org = org
        self.seed = seed
        self.sizes = sizes
        self.pools = _pools(seed, _pool_size(sizes))
        self.timeline = _Timeline(org.now())
        # Sales reps join in the window's first two days; everything else happens after.
        self.staffed_ms = self.timeline.start_ms + 2 * DAY_MS
        self.counts = dict.fromkeys(SEEDED_OBJECTS, 0)
        self.owner_ids: list[str] = []
        self.queue_ids: list[str] = []
        self.accounts: list[_Account] = []
        self.contacts: list[_Person] = []
        self.campaign_created: list[int] = []
        self.existing_leads = self._row_count("Lead")
        # E-mails carry a number unique across the org's leads and contacts: existing rows first.
        self.email_base = self.existing_leads + self._row_count("Contact")

    def run(self) -> dict[str, int]:
        self._users()
        self._queues()
        self._accounts()
        self._contacts()
        plan = _MemberPlan(self._random("members"), self.sizes, len(self.contacts))
        campaign_ids = self._campaigns(plan)
        self._leads(plan)
        self._members(plan, campaign_ids)
        self._opportunities()
        self._subscriptions()
        return self.counts

    def _random(self, stream: str) -> random.Random:
        """An rng per object type, so that more leads do not change the accounts."""
        return random.Random(f"{self.seed}/{stream}")

    def _row_count(self, object_name: str) -> int:
        with self.org.db.lock:
            row = self.org.db.conn.execute(f"SELECT COUNT(*) FROM {quote(object_name)}").fetchone()
        return int(row[0])

    def _insert(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        record_ids = self.org.insert_raw(object_name, list(rows))
        self.counts[object_name] += len(record_ids)
        return record_ids

    def _email(self, first: _Name, last: _Name, number: int, domain: str) -> str:
        return f"{first.slug}.{last.slug}.{self.email_base + number}@{domain}"

    # ---------------------------------------------------------------- users

    def _users(self) -> None:
        rng = self._random("users")
        with self.org.db.lock:
            taken = {
                str(row[0]).lower()
                for row in self.org.db.conn.execute('SELECT "Username" FROM "User"')
            }
        rows = [
            self._user_row(rng, taken, active=index < self.sizes.users)
            for index in range(self.sizes.users + 1)
        ]
        record_ids = self._insert("User", rows)
        self.owner_ids = record_ids[: self.sizes.users] or [self.org.admin_user_id]

    def _user_row(self, rng: random.Random, taken: set[str], *, active: bool) -> Row:
        first = _pick(rng.random, self.pools.first_names)
        last = _pick(rng.random, self.pools.last_names)
        username = _free_username(f"{first.slug}.{last.slug}", taken)
        _, stamps = self.timeline.stamps(rng.random, until_ms=self.staffed_ms)
        return {
            "Username": username, "Email": username, "FirstName": first.text,
            "LastName": last.text, "Alias": (first.slug[:1] + last.slug)[:8],
            "IsActive": active, "Title": _pick(rng.random, REP_TITLES), "Department": "Sales",
            "Phone": _phone(rng.random), "TimeZoneSidKey": _pick(rng.random, REP_TIME_ZONES),
            **stamps,
        }  # fmt: skip

    def _queues(self) -> None:
        """Lead queues (Group of Type Queue, with a QueueSobject for Lead); those the org
        already has (by DeveloperName) are reused."""
        wanted = QUEUES[: self.sizes.queues]
        with self.org.db.lock:
            existing = {
                str(row[1]): str(row[0])
                for row in self.org.db.conn.execute(
                    'SELECT "Id", "DeveloperName" FROM "Group" WHERE "Type" = \'Queue\''
                )
            }
        missing = [(name, api) for name, api in wanted if api not in existing]
        _, stamps = self.timeline.stamps(self._random("queues").random, until_ms=self.staffed_ms)
        rows = [
            {"Name": name, "DeveloperName": api, "Type": "Queue", **stamps} for name, api in missing
        ]
        created = dict(zip((api for _, api in missing), self._insert("Group", rows), strict=True))
        supports = [{"QueueId": q, "SobjectType": "Lead", **stamps} for q in created.values()]
        self._insert("QueueSobject", supports)
        self.queue_ids = [existing.get(api) or created[api] for _, api in wanted]

    # ---------------------------------------------------------------- accounts and contacts

    def _accounts(self) -> None:
        rng = self._random("accounts")
        companies = _distinct_companies(rng, self.pools.companies, self.sizes.accounts)
        rows: list[Row] = []
        meta: list[tuple[_Company, str, int]] = []
        for company in companies:
            owner = _pick(rng.random, self.owner_ids)
            created, stamps = self.timeline.stamps(rng.random, after_ms=self.staffed_ms)
            rows.append(self._account_row(rng, company, owner, stamps))
            meta.append((company, owner, created))
        record_ids = self._insert("Account", rows)
        self.accounts = [
            _Account(record_id, company.name, company.domain, owner, created)
            for record_id, (company, owner, created) in zip(record_ids, meta, strict=True)
        ]

    def _account_row(self, rng: random.Random, company: _Company, owner: str, stamps: Row) -> Row:
        city, state = _pick(rng.random, self.pools.cities)
        employees = int(10 ** (1 + rng.random() * 4))
        return {
            "Name": company.name, "Type": _pick(rng.random, ("Prospect", "Customer - Direct",
                                                             "Customer - Channel", "Partner")),
            "Industry": _pick(rng.random, _picklist(self.org, "Account", "Industry")),
            "Website": f"https://www.{company.domain}", "Phone": _phone(rng.random),
            "BillingCity": city, "BillingState": state, "BillingCountry": "United States",
            "NumberOfEmployees": employees, "AnnualRevenue": float(employees * 150_000),
            "Rating": _pick(rng.random, ("Hot", "Warm", "Cold")),
            "AccountSource": _pick(rng.random, ("Web", "Phone Inquiry", "Partner Referral")),
            "OwnerId": owner, **stamps,
        }  # fmt: skip

    def _contacts(self) -> None:
        rng = self._random("contacts")
        rows: list[Row] = []
        people: list[_Person] = []
        sources = _picklist(self.org, "Contact", "LeadSource")
        for index in range(self.sizes.contacts):
            # Every account gets one contact before any gets a second.
            account = (
                self.accounts[index]
                if index < len(self.accounts)
                else _pick(rng.random, self.accounts)
            )
            row, person = self._contact(rng, index, account, sources)
            rows.append(row)
            people.append(person)
        record_ids = self._insert("Contact", rows)
        self.contacts = [
            _replace_id(person, record_id)
            for person, record_id in zip(people, record_ids, strict=True)
        ]

    def _contact(
        self, rng: random.Random, index: int, account: _Account, sources: Sequence[str]
    ) -> tuple[Row, _Person]:
        first = _pick(rng.random, self.pools.first_names)
        last = _pick(rng.random, self.pools.last_names)
        email = self._email(first, last, index, account.domain)
        created, stamps = self.timeline.stamps(rng.random, after_ms=account.created_ms)
        row = {
            "AccountId": account.id, "FirstName": first.text, "LastName": last.text,
            "Email": email, "Title": _pick(rng.random, self.pools.titles),
            "Phone": _phone(rng.random) if rng.random() < 0.85 else None,
            "MailingCity": _pick(rng.random, self.pools.cities)[0],
            "MailingCountry": "United States", "LeadSource": _pick(rng.random, sources),
            "HasOptedOutOfEmail": rng.random() < 0.05, "OwnerId": account.owner_id, **stamps,
        }  # fmt: skip
        person = _Person("", first.text, last.text, email, account.name, account.owner_id,
                         created, account)  # fmt: skip
        return row, person

    # ---------------------------------------------------------------- leads

    def _leads(self, plan: _MemberPlan) -> None:
        """Leads in chunks of LEAD_CHUNK; keeps only those that become campaign members."""
        factory = _LeadFactory(self, self._random("leads"))
        # Its own stream: queue owners do not change any other value of the leads.
        queues = self._random("queue-owners").random
        with self._lead_loading():
            for start in range(0, self.sizes.leads, LEAD_CHUNK):
                indexes = range(start, min(start + LEAD_CHUNK, self.sizes.leads))
                rows = [factory.row(index) for index in indexes]
                for row in rows:
                    if self.queue_ids and queues() * QUEUE_SHARE < 1:
                        row["OwnerId"] = _pick(queues, self.queue_ids)
                record_ids = self._insert("Lead", rows)
                for index in plan.lead_indexes.intersection(indexes):
                    person = _lead_person(rows[index - start], record_ids[index - start])
                    plan.leads[index] = person

    def _lead_loading(self) -> AbstractContextManager[None]:
        """Load many leads with the secondary indexes dropped, rebuilt once afterwards.

        Only when the table at least doubles: rebuilding a big table's indexes to add a few
        rows costs more than it saves. The org holds its lock meanwhile.
        """
        if self.sizes.leads >= max(BULK_LOAD_THRESHOLD, self.existing_leads):
            return self.org.bulk_loading("Lead")
        return nullcontext()

    # ---------------------------------------------------------------- campaigns

    def _campaigns(self, plan: _MemberPlan) -> list[str]:
        rng = self._random("campaigns")
        types = _picklist(self.org, "Campaign", "Type")
        rows = [
            self._campaign_row(rng, types, plan.per_campaign(number))
            for number in range(self.sizes.campaigns)
        ]
        return self._campaign_ids(rows)

    def _campaign_ids(self, rows: list[Row]) -> list[str]:
        record_ids = self._insert("Campaign", rows)
        # insert_raw gives each campaign the default member statuses.
        self.counts["CampaignMemberStatus"] += len(record_ids) * len(DEFAULT_MEMBER_STATUSES)
        self.campaign_created = [_created_ms(str(row["CreatedDate"])) for row in rows]
        return record_ids

    def _campaign_row(
        self, rng: random.Random, types: Sequence[str], members: tuple[int, int]
    ) -> Row:
        kind = _pick(rng.random, types)
        created, stamps = self.timeline.stamps(rng.random, after_ms=self.staffed_ms)
        start = self.timeline.date(created) + timedelta(days=rng.randrange(0, 21))
        end = start + timedelta(days=rng.randrange(7, 60))
        today = self.timeline.date(self.timeline.end_ms)
        status = "Planned" if start > today else "Completed" if end < today else "In Progress"
        name = f"{start.year} {kind}: {_pick(rng.random, self.pools.phrases)}"
        return {
            "Name": name[:80], "Type": kind, "Status": status, "IsActive": status != "Completed",
            "StartDate": start.isoformat(), "EndDate": end.isoformat(),
            "NumberOfLeads": members[0], "NumberOfContacts": members[1],
            "OwnerId": _pick(rng.random, self.owner_ids), **stamps,
        }  # fmt: skip

    def _members(self, plan: _MemberPlan, campaign_ids: list[str]) -> None:
        rng = self._random("member-status")
        sent, responded = _member_labels()
        rows = []
        for campaign, person_index in plan.pairs:
            person, is_lead = plan.person(person_index, self.contacts)
            answered = rng.random() < 0.3
            after = max(person.created_ms, self.campaign_created[campaign])
            _, stamps = self.timeline.stamps(rng.random, after_ms=after)
            rows.append({
                "CampaignId": campaign_ids[campaign],
                "LeadId": person.id if is_lead else None,
                "ContactId": None if is_lead else person.id,
                "LeadOrContactId": person.id, "FirstName": person.first,
                "LastName": person.last, "Email": person.email,
                "CompanyOrAccount": person.company, "Status": responded if answered else sent,
                "HasResponded": answered,
                "FirstRespondedDate": stamps["SystemModstamp"][:10] if answered else None,
                **stamps,
            })  # fmt: skip
        self._insert("CampaignMember", rows)

    # ---------------------------------------------------------------- opportunities

    def _opportunities(self) -> None:
        rng = self._random("opportunities")
        staffed = _contacts_by_account(self.contacts)
        stages = _bag(_picklist(self.org, "Opportunity", "StageName"), STAGE_WEIGHTS)
        rows, roles = [], []
        for _ in range(self.sizes.opportunities):
            account, contacts = _pick(rng.random, staffed)
            rows.append(self._opportunity_row(rng, account, stages))
            roles.append(rng.sample(contacts, min(len(contacts), rng.choice((1, 2)))))
        record_ids = self._insert("Opportunity", rows)
        self._contact_roles(rng, rows, record_ids, roles)

    def _opportunity_row(self, rng: random.Random, account: _Account, stages: Sequence[str]) -> Row:
        stage = _pick(rng.random, stages)
        created, stamps = self.timeline.stamps(rng.random, after_ms=account.created_ms)
        opened = self.timeline.date(created)
        today = self.timeline.date(self.timeline.end_ms)
        if stage.startswith("Closed"):
            close = min(today, opened + timedelta(days=rng.randrange(5, 60)))
        else:
            close = today + timedelta(days=rng.randrange(7, 120))
        return {
            "Name": f"{account.name} - {_pick(rng.random, DEALS)}"[:120],
            "AccountId": account.id, "StageName": stage, "CloseDate": close.isoformat(),
            "Amount": float(round(5_000 + rng.random() * 245_000, -2)),
            "Probability": STAGE_PROBABILITY.get(stage, 50),
            "Type": _pick(rng.random, ("New Business", "Existing Business")),
            "LeadSource": _pick(rng.random, _picklist(self.org, "Opportunity", "LeadSource")),
            "OwnerId": account.owner_id, **stamps,
        }  # fmt: skip

    def _contact_roles(
        self,
        rng: random.Random,
        opportunities: list[Row],
        record_ids: list[str],
        roles: list[list[_Person]],
    ) -> None:
        labels = _picklist(self.org, "OpportunityContactRole", "Role")
        rows = []
        for opportunity, record_id, contacts in zip(opportunities, record_ids, roles, strict=True):
            after = _created_ms(str(opportunity["CreatedDate"]))
            for position, contact in enumerate(contacts):
                _, stamps = self.timeline.stamps(rng.random, after_ms=after)
                primary = position == 0
                role = "Decision Maker" if primary else _pick(rng.random, labels)
                rows.append({"OpportunityId": record_id, "ContactId": contact.id, "Role": role,
                             "IsPrimary": primary, **stamps})  # fmt: skip
        self._insert("OpportunityContactRole", rows)

    # ---------------------------------------------------------------- subscriptions

    def _subscriptions(self) -> None:
        if not self.sizes.subscriptions:  # an org without Subscription__c (--fresh-org)
            return
        rng = self._random("subscriptions")
        plans = _bag(_picklist(self.org, "Subscription__c", "Plan__c"), PLAN_WEIGHTS, other=10)
        first_number = self._row_count("Subscription__c") + 1
        rows = []
        for offset in range(self.sizes.subscriptions):
            contact = _pick(rng.random, self.contacts)
            plan = _pick(rng.random, plans)
            _, stamps = self.timeline.stamps(rng.random, after_ms=contact.created_ms)
            renewal = self.timeline.date(self.timeline.end_ms) + timedelta(rng.randrange(1, 366))
            rows.append({
                "Name": f"SUB-{first_number + offset:06d}", "Contact__c": contact.id,
                "Plan__c": plan, "Seats__c": _seats(rng, plan),
                "Renewal_Date__c": renewal.isoformat(), "Active__c": rng.random() < 0.9,
                "OwnerId": contact.owner_id, **stamps,
            })  # fmt: skip
        self._insert("Subscription__c", rows)


class _LeadFactory:
    """One lead row at a time from the pools, written for speed (the million-lead path).

    A few leads copy a contact's name, company and e-mail: the same person known as both.
    """

    def __init__(self, seeder: _Seeder, rng: random.Random) -> None:
        self.rand = rng.random
        self.pools = seeder.pools
        self.email_base = seeder.email_base + seeder.sizes.contacts
        self.owners = seeder.owner_ids
        self.timeline = seeder.timeline
        self.statuses = _bag(_open_lead_statuses(seeder.org), LEAD_STATUS_WEIGHTS)
        self.sources = _picklist(seeder.org, "Lead", "LeadSource")
        self.industries = _picklist(seeder.org, "Lead", "Industry")
        self.places = _places(self.pools)
        self.twins = _twins(rng, seeder.contacts, seeder.sizes.leads)
        self.created_step = (self.timeline.end_ms - self.timeline.start_ms) / max(
            1, seeder.sizes.leads
        )

    def row(self, index: int) -> Row:
        rand, pools = self.rand, self.pools
        first, last = _pick(rand, pools.first_names), _pick(rand, pools.last_names)
        company = _pick(rand, pools.companies)
        domain = _pick(rand, FREE_MAIL) if rand() < 0.15 else company.domain
        status = _pick(rand, self.statuses)
        country, cities = _pick(rand, self.places)
        # Creation follows the lead number, as record ids follow creation order in a real org.
        created = self.timeline.start_ms + int((index + rand()) * self.created_step)
        row = {
            "FirstName": first.text, "LastName": last.text, "Company": company.name,
            "Email": f"{first.slug}.{last.slug}.{self.email_base + index}@{domain}",
            "Title": _pick(rand, pools.titles),
            "Phone": _phone(rand) if status == QUALIFIED or rand() < 0.7 else None,
            "City": _pick(rand, cities), "Country": country,
            "LeadSource": _pick(rand, self.sources), "Status": status,
            "Industry": _pick(rand, self.industries), "OwnerId": _pick(rand, self.owners),
            **self.timeline.audit(created, rand),
        }  # fmt: skip
        twin = self.twins.get(index)
        if twin is not None:
            row.update(FirstName=twin.first, LastName=twin.last, Company=twin.company,
                       Email=twin.email)  # fmt: skip
        return row


class _MemberPlan:
    """Which (campaign, person) pairs become members, drawn before any lead exists.

    Persons are numbered contacts first, then leads. Sampling pair numbers without
    replacement makes every pair unique without holding a million lead ids in memory.
    """

    def __init__(self, rng: random.Random, sizes: SeedSizes, contacts: int) -> None:
        self.contacts = contacts
        persons = contacts + sizes.leads
        picks = rng.sample(range(sizes.campaigns * persons), sizes.campaign_members)
        self.pairs = sorted(divmod(pick, persons) for pick in picks)
        self.lead_indexes = {person - contacts for _, person in self.pairs if person >= contacts}
        self.leads: dict[int, _Person] = {}

    def per_campaign(self, campaign: int) -> tuple[int, int]:
        """(leads, contacts) planned for one campaign."""
        persons = [person for number, person in self.pairs if number == campaign]
        leads = sum(person >= self.contacts for person in persons)
        return leads, len(persons) - leads

    def person(self, number: int, contacts: Sequence[_Person]) -> tuple[_Person, bool]:
        if number < self.contacts:
            return contacts[number], False
        return self.leads[number - self.contacts], True


# -------------------------------------------------------------------------------- helpers


def _free_username(stem: str, taken: set[str]) -> str:
    """`stem@domain`, or `stem2@domain`, `stem3@...` when taken; records the one returned."""
    candidates = (f"{stem}{n if n > 1 else ''}@{SALES_DOMAIN}" for n in _counting())
    username = next(name for name in candidates if name.lower() not in taken)
    taken.add(username.lower())
    return username


def _counting() -> Iterator[int]:
    number = 1
    while True:
        yield number
        number += 1


def _distinct_companies(
    rng: random.Random, companies: Sequence[_Company], count: int
) -> list[_Company]:
    """`count` companies with distinct names; numbered divisions once the pool runs out."""
    unique = list({company.name: company for company in companies}.values())
    chosen = rng.sample(unique, min(count, len(unique)))
    for extra in range(count - len(chosen)):
        base = unique[extra % len(unique)]
        chosen.append(_Company(f"{base.name} {2 + extra // len(unique)}"[:80], base.domain))
    return chosen


def _contacts_by_account(
    contacts: Sequence[_Person],
) -> list[tuple[_Account, list[_Person]]]:
    """Accounts that have contacts, in seeding order, each with its contacts."""
    grouped: dict[str, tuple[_Account, list[_Person]]] = {}
    for contact in contacts:
        if contact.account is not None:
            grouped.setdefault(contact.account.id, (contact.account, []))[1].append(contact)
    return list(grouped.values())


def _replace_id(person: _Person, record_id: str) -> _Person:
    return _Person(record_id, person.first, person.last, person.email, person.company,
                   person.owner_id, person.created_ms, person.account)  # fmt: skip


def _lead_person(row: Row, record_id: str) -> _Person:
    return _Person(
        record_id, str(row["FirstName"]), str(row["LastName"]), str(row["Email"]),
        str(row["Company"]), str(row["OwnerId"]), _created_ms(str(row["CreatedDate"])),
    )  # fmt: skip


def _created_ms(text: str) -> int:
    moment = datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000 + int(text[20:23])


def _twins(rng: random.Random, contacts: Sequence[_Person], leads: int) -> dict[int, _Person]:
    """Lead index → contact whose identity it shares (about one contact in twenty)."""
    count = min(len(contacts), leads, max(1, len(contacts) // 20)) if contacts else 0
    positions = rng.sample(range(min(leads, LEAD_CHUNK)), count)
    return dict(zip(positions, rng.sample(list(contacts), count), strict=True))


def _picklist(org: Org, object_name: str, field_name: str) -> tuple[str, ...]:
    field = org.object(object_name).field(field_name)
    return field.picklist_values if field is not None else ()


def _open_lead_statuses(org: Org) -> tuple[str, ...]:
    """Lead statuses a lead can have before conversion (conversion sets the converted one)."""
    converted = {label for label, _, is_converted in LEAD_STATUSES if is_converted}
    values = _picklist(org, "Lead", "Status")
    return tuple(value for value in values if value not in converted) or values


def _places(pools: _Pools) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Weighted (country, cities) entries: mostly the United States, some abroad."""
    us_cities = tuple(city for city, _ in pools.cities)
    entries = {"United States": us_cities, **ABROAD}
    return tuple(
        (country, entries[country])
        for country, weight in COUNTRY_WEIGHTS.items()
        for _ in range(weight)
    )


def _member_labels() -> tuple[str, str]:
    """The default campaign member statuses: (not responded, responded)."""
    sent = next(label for label, _, responded in DEFAULT_MEMBER_STATUSES if not responded)
    answered = next(label for label, _, responded in DEFAULT_MEMBER_STATUSES if responded)
    return sent, answered


def _seats(rng: random.Random, plan: str) -> int:
    if plan == "Free":
        return 1
    if plan == "Enterprise":
        return rng.randrange(25, 501)
    return rng.randrange(2, 26)
