"""Values as Salesforce stores them, through unmodified simple-salesforce: multi-select picklists
in the picklist's definition order, numbers with every decimal place the API sent."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from tests.conftest import SandboxClient
from tests.integration.test_simple_salesforce import soap_client

# Product_Interest__c's values in the default schema, in definition order (not alphabetical).
DEFINED = ["Email", "Web", "Analytics", "Events", "API"]


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return soap_client(sandbox)


def test_the_default_schema_has_a_multi_select_on_lead_and_contact(sf: Salesforce) -> None:
    for sobject in (sf.Lead, sf.Contact):
        fields = {field["name"]: field for field in sobject.describe()["fields"]}
        described = fields["Product_Interest__c"]
        assert described["type"] == "multipicklist"
        assert described["custom"] is True
        assert [entry["value"] for entry in described["picklistValues"]] == DEFINED


def test_multi_select_values_come_back_in_definition_order(sf: Salesforce) -> None:
    lead = sf.Lead.create(
        {"LastName": "Ng", "Company": "Acme", "Product_Interest__c": "API;Email;Analytics"}
    )["id"]
    assert sf.Lead.get(lead)["Product_Interest__c"] == "Email;Analytics;API"
    sf.Lead.update(lead, {"Product_Interest__c": "Events; Web ;Web;;Events"})
    assert sf.Lead.get(lead)["Product_Interest__c"] == "Web;Events"  # each value once
    query = sf.query(f"SELECT Product_Interest__c FROM Lead WHERE Id = '{lead}'")
    assert query["records"][0]["Product_Interest__c"] == "Web;Events"
    sf.Lead.update(lead, {"Product_Interest__c": " ; "})
    assert sf.Lead.get(lead)["Product_Interest__c"] is None


def test_values_the_picklist_does_not_define_follow_the_defined_ones(sf: Salesforce) -> None:
    """The field is unrestricted, so Salesforce keeps a value it does not define."""
    contact = sf.Contact.create(
        {"LastName": "Ng", "Product_Interest__c": "Webinars;API;Podcasts;Email"}
    )["id"]
    assert sf.Contact.get(contact)["Product_Interest__c"] == "Email;API;Webinars;Podcasts"


def test_collections_and_bulk_store_the_same_order(sf: Salesforce) -> None:
    record = {"LastName": "A", "Company": "C", "Product_Interest__c": "Events;Email"}
    results = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": True, "records": [{"attributes": {"type": "Lead"}, **record}]},
    )
    assert sf.Lead.get(results[0]["id"])["Product_Interest__c"] == "Email;Events"
    job = sf.bulk2.Lead.insert(
        records=[{"LastName": "B", "Company": "C", "Product_Interest__c": "API;Web"}], wait=0.05
    )
    assert job[0]["numberRecordsFailed"] == 0
    rows = sf.query("SELECT Product_Interest__c FROM Lead WHERE LastName = 'B'")["records"]
    assert [row["Product_Interest__c"] for row in rows] == ["Web;API"]


def test_numbers_keep_the_decimal_places_the_api_sent(sf: Salesforce) -> None:
    """Salesforce enforces a number field's scale in its own UI only: a value written through
    the API is stored and returned with every decimal place (AnnualRevenue has scale 2)."""
    lead = sf.Lead.create({"LastName": "Ng", "Company": "Acme", "AnnualRevenue": 1234.5678})["id"]
    assert sf.Lead.get(lead)["AnnualRevenue"] == 1234.5678
    sf.Lead.update(lead, {"AnnualRevenue": 2.50})
    assert sf.Lead.get(lead)["AnnualRevenue"] == 2.5
