"""Values come back from Salesforce the way Salesforce stores them, not the way leadbridge sent
them: a multi-select in the picklist's definition order, a number with the API's decimal places.
Against the strict sandbox org, such an echo is no change (nothing recorded from Salesforce, no
automation rule fired), while a real change made in Salesforce still arrives."""

from __future__ import annotations

import pytest

from leadbridge.automation import RuleService
from leadbridge.domain.fields import FieldType, Origin, SyncBehaviour
from leadbridge.store.audit import AuditRepository
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import Wired

FIELD = "Product_Interest__c"  # multi-select: Email, Web, Analytics, Events, API (in that order)


@pytest.fixture
def org(wired: Wired) -> Puller:
    wired.service.add_field(
        "product_interest",
        label=None,
        field_type=FieldType.MULTISELECT,
        options=[],
        crm_field=FIELD,
        behaviour=SyncBehaviour.USE_SALESFORCE,
        picklist_values=True,
    )
    # A rule that fires every time it is run for a prospect interested in the API.
    RuleService(wired.db, wired.clock).add(
        "API interest",
        criteria=[{"field": "product_interest", "op": "contains", "value": "API"}],
        actions=[{"type": "adjust_score", "by": 1}],
        repeat_after_days=0,
    )
    return Puller(wired)


def from_salesforce(org: Puller, pid: int) -> list[tuple[str, str | None]]:
    """The prospect's changes the pull recorded as Salesforce's."""
    with org.w.db.session() as session:
        entries = AuditRepository(session).for_prospect(pid, 1000)
    return [(e.field, e.new_value) for e in entries if e.origin == Origin.SALESFORCE]


def lead_row(org: Puller, lead: str) -> dict[str, object]:
    return org.w.rows(f'SELECT "{FIELD}", "AnnualRevenue" FROM "Lead" WHERE "Id" = ?', lead)[0]


def test_a_multi_select_pushed_out_of_order_is_not_a_salesforce_change(org: Puller) -> None:
    pid, lead = org.linked(
        "ada@example.com", product_interest=["API", "Email"], annual_revenue=1234.5678
    )
    # Salesforce reordered the selection; it kept every decimal place (AnnualRevenue: scale 2).
    assert lead_row(org, lead) == {FIELD: "Email;API", "AnnualRevenue": 1234.5678}
    summary = org.pull()
    assert summary.pulled == 1  # the new lead was read back …
    assert summary.changed_fields == 0  # … and nothing in it is Salesforce's change
    assert from_salesforce(org, pid) == []
    prospect = org.get(pid)
    assert prospect.value("product_interest") == ("API", "Email")
    assert prospect.score == 0  # the rule did not fire
    quiet = org.cycle()
    assert quiet.pull is not None and quiet.pull.changed_fields == 0
    assert quiet.push is not None and quiet.push.updated == 0


def test_a_real_change_in_salesforce_still_arrives_and_fires_rules(org: Puller) -> None:
    pid, lead = org.linked("ada@example.com", product_interest=["Email"])
    org.pull()
    assert org.get(pid).score == 0
    org.edit("Lead", lead, **{FIELD: "API;Web;Email"})
    summary = org.pull()
    assert summary.changed_fields == 1
    assert from_salesforce(org, pid) == [("product_interest", "Email;Web;API")]
    prospect = org.get(pid)
    assert prospect.value("product_interest") == ("Email", "Web", "API")
    assert prospect.score == 1  # "API interest" fired on Salesforce's change
    assert org.pull().changed_fields == 0
