"""Random interleavings of edits on both sides and syncs converge, with no ping-pong.

Salesforce is a dict (one lead); leadbridge is a dict of prospect values with per-field
change times (the audit log). The push is the real `plan_write`, the pull the real
`domain.pull.plan_pull` (the same `decide_field` on the same inputs, taking Salesforce's value
where Salesforce wins and remembering agreed values, so a value leadbridge pushed is an echo,
not a Salesforce change). Edits on both sides interleave with pushes, pulls and whole
cycles (pull then push, as `sync.cycle` runs them). Each field gets a random sync behaviour
and blank rule.

The fake Salesforce stores what it is sent the way Salesforce does (`salesforce_stores`): a
multi-select picklist in the picklist's definition order, each value once, and a number as the
double the API sent, every decimal place kept past the field's scale. That definition order is
the order the values were created in, which Salesforce keeps after an admin reorders the list
describe shows (the one leadbridge knows), and it also places values describe does not list
(inactive ones); so here it differs from describe's. The draws include multi-selects in any
order (with repeats, and values describe does not list), decimals with more places than the
field's scale (as `Decimal` too, `2.50` for `2.5`), and transient per-record faults: the
record's next push attempt is refused with UNABLE_TO_LOCK_ROW, nothing is written and nothing
is remembered as agreed, and a later push or cycle retries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadbridge.domain.crm_values import NUMBER_TYPES, crm_value, is_echo, same_value
from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.pull import plan_pull
from leadbridge.domain.push_record import FILLED, Creation, ProspectValues, plan_write
from leadbridge.ports import CrmObject
from tests.unit.sync.schema import LEAD as BASE_LEAD
from tests.unit.sync.schema import field as crm_field

EMAIL = "ada@example.com"
START = datetime(2026, 1, 1, tzinfo=UTC)
INTERESTS = ("Email", "Web", "Analytics", "API")  # the picklist's order in describe
# The order Salesforce returns selections in: the values' creation order, including two it
# holds that describe does not list (inactive values).
CREATED = ("Web", "Email", "Podcasts", "API", "Analytics", "Blogs")
LEAD = CrmObject(
    "Lead",
    "Lead",
    False,
    {
        **BASE_LEAD.fields,
        "Product_Interest__c": crm_field(
            "Product_Interest__c", "multipicklist", picklist_values=INTERESTS
        ),
        "Budget__c": crm_field("Budget__c", "double"),  # scale 2 in the org; kept past it
    },
)
# Any selection, in any order, repeats included.
selections = st.lists(st.sampled_from(CREATED), max_size=5)
# prospect field → (Lead field, the values leadbridge may hold, the values Salesforce is sent)
FIELDS: dict[str, tuple[str, st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    name: (api_name, st.sampled_from(values), st.sampled_from(values))
    for name, (api_name, values) in {
        "first_name": ("FirstName", [None, "Ada", "Grace"]),
        "last_name": ("LastName", [None, "Lovelace", "Hopper"]),
        "company": ("Company", [None, "Acme", "Initech"]),
        "job_title": ("Title", [None, "CTO", "CEO"]),
        "phone": ("Phone", [None, "+1 555", "+44 20"]),
        "opted_out": ("HasOptedOutOfEmail", [False, True]),
        "score": ("LeadBridge_Score__c", [0, 7, 42]),
    }.items()
} | {
    # Currency, scale 2: a sales rep's 2.5 is leadbridge's Decimal("2.50").
    "annual_revenue": (
        "AnnualRevenue",
        st.sampled_from([None, 0, 2.5, Decimal("2.50"), 1000, 1234.5678, Decimal("1234.5678")]),
        st.sampled_from([None, 0, 2.5, 1000.0, 1234.5678]),
    ),
    "budget": (
        "Budget__c",
        st.sampled_from([None, 0.125, Decimal("0.1250"), 19.999, Decimal("0.1"), 3]),
        st.sampled_from([None, 0.125, 19.999, 0.1, 3.0]),
    ),
    # leadbridge holds a tuple; a sales rep types text.
    "product_interest": (
        "Product_Interest__c",
        selections.map(tuple),
        selections.map(";".join),
    ),
}


def salesforce_stores(api_name: str, value: Any) -> Any:
    """The value Salesforce keeps (and returns) for `value` written to `api_name`."""
    target = LEAD.field(api_name)
    assert target is not None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if target.type == "multipicklist":
        items = value.split(";") if isinstance(value, str) else list(value)
        chosen = list(dict.fromkeys(item.strip() for item in items if item.strip()))
        return ";".join(item for item in CREATED if item in chosen) or None
    if target.type in NUMBER_TYPES:
        return float(value)  # a double, with every decimal place the API sent
    return value


def leadbridge_stores(name: str, value: Any) -> Any:
    """The value leadbridge's store keeps for a value the pull takes (a multi-select's text
    becomes its tuple, in the order Salesforce gave)."""
    if name == "product_interest" and isinstance(value, str):
        return tuple(value.split(";"))
    return value


@dataclass
class World:
    rules: tuple[FieldRule, ...]
    local: dict[str, Any]
    crm: dict[str, Any] | None = None  # the lead, once created
    local_at: dict[str, datetime] = field(default_factory=dict)
    crm_at: datetime = START
    agreed: dict[str, Any] = field(default_factory=dict)
    now: datetime = START
    locks: int = 0  # push attempts still to be refused with UNABLE_TO_LOCK_ROW
    refused: bool = False  # the last push attempt was refused

    def tick(self) -> None:
        self.now += timedelta(seconds=1)

    def record(self) -> dict[str, Any] | None:
        if self.crm is None:
            return None
        read = {api_name: None for api_name, _, _ in FIELDS.values()}  # a query returns all
        return {**read, **self.crm, "Id": "00QA", "LastModifiedDate": self.crm_at.isoformat()}

    # -- edits ---------------------------------------------------------------------------

    def edit_local(self, name: str, value: Any) -> None:
        self.tick()
        if self.local[name] != value:
            self.local[name] = value
            self.local_at[name] = self.now

    def edit_crm(self, name: str, value: Any) -> None:
        self.tick()
        if self.crm is not None:
            api_name = FIELDS[name][0]
            self.crm[api_name] = salesforce_stores(api_name, value)
            self.crm_at = self.now

    def lock(self) -> None:
        """Another transaction holds the record: its next push attempt is refused."""
        self.locks += 1

    # -- syncs ---------------------------------------------------------------------------

    def push(self) -> int:
        """The real push planning; the number of fields written."""
        self.tick()
        prospect = ProspectValues(EMAIL, dict(self.local), dict(self.local_at), START)
        creation = Creation("[not provided]", "005OWNER")
        plan = plan_write(
            LEAD, self.rules, prospect, self.record(), agreed=self.agreed, creation=creation
        )
        assert plan.problems == ()
        self.refused = False
        if (self.crm is None or plan.values) and self.locks:
            # UNABLE_TO_LOCK_ROW for this record: nothing written, nothing agreed; the record
            # stays due and a later push retries it.
            self.locks -= 1
            self.refused = True
            return 0
        stored = {name: salesforce_stores(name, value) for name, value in plan.values.items()}
        if self.crm is None:
            self.crm = {"HasOptedOutOfEmail": False, **stored}
            self.agreed = dict(plan.agreed)
            self.crm_at = self.now
            return len(plan.values)
        self.agreed = {**self.agreed, **plan.agreed}
        if plan.values:
            self.crm.update(stored)
            self.crm_at = self.now
            for name in plan.values:  # what we pushed never looks like a Salesforce change
                assert is_echo(LEAD.field(name), self.crm[name], self.agreed)
        return len(plan.values)

    def pull(self) -> int:
        """The real pull planning; the number of fields taken from Salesforce."""
        self.tick()
        record = self.record()
        if record is None:
            return 0
        prospect = ProspectValues(EMAIL, dict(self.local), dict(self.local_at), START)
        plan = plan_pull(LEAD, self.rules, prospect, record, self.agreed)
        for name, value in plan.changes.items():
            self.local[name] = leadbridge_stores(name, value)
            self.local_at[name] = self.now
        self.agreed = {**self.agreed, **plan.agreed}
        for api_name in plan.taken:  # what we took is remembered: never pushed back
            assert is_echo(LEAD.field(api_name), record[api_name], self.agreed)
        return len(plan.changes)

    def cycle(self) -> int:
        """One sync cycle: pull, then push; everything either side wrote."""
        return self.pull() + self.push()

    def converged(self) -> bool:
        assert self.crm is not None
        for rule in self.rules:
            target = LEAD.field(rule.crm_field)
            ours = crm_value(self.local[rule.field], target)
            theirs = crm_value(self.crm.get(rule.crm_field), target)
            # A stand-in (placeholder company) is fine while the prospect has no value.
            waiting = ours is None and sides_stand_in(self, rule.crm_field, theirs)
            if not same_value(ours, theirs) and not waiting:
                return False
        return True


def sides_stand_in(world: World, api_name: str, theirs: Any) -> bool:
    """A placeholder leadbridge filled in (company, last name) while the prospect has none."""
    stand_ins = world.agreed.get(FILLED) or {}
    return api_name in stand_ins and same_value(theirs, stand_ins[api_name])


rules = st.tuples(
    *[
        st.builds(
            FieldRule,
            st.just(name),
            st.just(api_name),
            st.sampled_from(list(SyncBehaviour)),
            st.booleans(),
            st.just(name == "score"),
        )
        for name, (api_name, _, _) in FIELDS.items()
    ]
)
edits = st.one_of(
    *[
        st.one_of(
            st.tuples(st.just("local"), st.just(name), ours),
            st.tuples(st.just("crm"), st.just(name), theirs),
        )
        for name, (_, ours, theirs) in FIELDS.items()
    ]
)
steps = st.lists(
    st.one_of(
        edits,
        st.just(("push",)),
        st.just(("pull",)),
        st.just(("cycle",)),
        st.just(("lock",)),
    ),
    max_size=40,
)
initial = st.fixed_dictionaries({name: ours for name, (_, ours, _) in FIELDS.items()})
EXAMPLES = 500


@settings(max_examples=EXAMPLES, deadline=None, database=None)  # no .hypothesis/ folder
@given(rules=rules, start=initial, script=steps, pull_first=st.booleans())
def test_random_edits_and_syncs_converge_without_ping_pong(
    rules: tuple[FieldRule, ...],
    start: dict[str, Any],
    script: list[tuple[Any, ...]],
    pull_first: bool,
) -> None:
    world = World(rules, dict(start))
    synced_since_edit = False
    for step in script:
        if step[0] == "local":
            world.edit_local(step[1], step[2])
            synced_since_edit = False
        elif step[0] == "crm":
            world.edit_crm(step[1], step[2])
            synced_since_edit = False
        elif step[0] == "lock":
            world.lock()
        elif step[0] == "push":
            written = world.push()
            if synced_since_edit:
                assert written == 0, "a push after a full sync wrote again: ping-pong"
        elif step[0] == "pull":
            taken = world.pull()
            if synced_since_edit:
                assert taken == 0, "a pull after a full sync took again: ping-pong"
        else:
            moved = world.cycle()
            if synced_since_edit:
                assert moved == 0, "a cycle after a full sync wrote again: ping-pong"
        synced_since_edit = synced_since_edit or _full_sync_done(world, step)
    # Edits stop: one full sync (pull and push, in either order) makes both sides agree, once
    # a push refused by a lock has been retried on the following cycles …
    if pull_first:
        world.pull()
        world.push()
    else:
        world.push()
        world.pull()
    retries = 0
    while world.refused:
        retries += 1
        assert retries <= 40, "a refused push was never retried through"
        world.cycle()
    assert world.converged()
    # … and from then on syncing changes nothing on either side.
    for _ in range(2):
        assert world.push() == 0
        assert world.pull() == 0


def _full_sync_done(world: World, step: tuple[Any, ...]) -> bool:
    """Whether both sides agree now (only then must further syncs be no-ops)."""
    return step[0] in ("push", "pull", "cycle") and world.crm is not None and world.converged()
