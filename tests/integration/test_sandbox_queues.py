"""Queues in the sandbox org, through unmodified simple-salesforce: `Group` (Type Queue) and
`QueueSobject`, queue-owned leads, and the owners Salesforce refuses."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.conftest import SandboxClient
from tests.integration.test_simple_salesforce import soap_client


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return soap_client(sandbox)


def _queue(sf: Salesforce, name: str, *objects: str) -> str:
    queue_id = str(sf.Group.create({"Name": name, "Type": "Queue"})["id"])
    for object_name in objects:
        sf.QueueSobject.create({"QueueId": queue_id, "SobjectType": object_name})
    return queue_id


def _lead(sf: Salesforce, **fields: Any) -> str:
    return str(sf.Lead.create({"LastName": "Queued", "Company": "Acme", **fields})["id"])


def _refused(call: Any) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        call()
    content: list[dict[str, Any]] = failure.value.content  # type: ignore[assignment]
    return content[0]


def test_a_lead_queue_owns_leads_and_is_queryable(sf: Salesforce) -> None:
    queue_id = _queue(sf, "Inbound leads (EMEA)", "Lead")
    assert queue_id.startswith("00G")
    lead_id = _lead(sf, OwnerId=queue_id)
    assert sf.Lead.get(lead_id)["OwnerId"] == queue_id
    queues = sf.query("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue'")
    assert [(q["Id"], q["Name"], q["DeveloperName"]) for q in queues["records"]] == [
        (queue_id, "Inbound leads (EMEA)", "Inbound_leads_EMEA")
    ]
    supported = sf.query(f"SELECT SobjectType FROM QueueSobject WHERE QueueId = '{queue_id}'")
    assert [row["SobjectType"] for row in supported["records"]] == ["Lead"]
    owned = sf.query(f"SELECT Id FROM Lead WHERE OwnerId = '{queue_id}'")
    assert [row["Id"] for row in owned["records"]] == [lead_id]
    described = sf.Lead.describe()
    owner = next(field for field in described["fields"] if field["name"] == "OwnerId")
    assert set(owner["referenceTo"]) == {"User", "Group"}
    assert owner["polymorphicForeignKey"] is True


def test_an_existing_lead_moves_to_a_queue_and_back(sf: Salesforce) -> None:
    queue_id = _queue(sf, "Web leads", "Lead")
    lead_id = _lead(sf)
    user_id = sf.Lead.get(lead_id)["OwnerId"]
    sf.Lead.update(lead_id, {"OwnerId": queue_id})
    assert sf.Lead.get(lead_id)["OwnerId"] == queue_id
    sf.Lead.update(lead_id, {"OwnerId": user_id})
    assert sf.Lead.get(lead_id)["OwnerId"] == user_id


def test_a_queue_that_does_not_support_leads_cannot_own_one(sf: Salesforce) -> None:
    case_queue = _queue(sf, "Support", "Case")
    error = _refused(lambda: _lead(sf, OwnerId=case_queue))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert error["message"] == f"Owner ID: id value of incorrect type: {case_queue}"
    assert error["fields"] == ["OwnerId"]
    lead_id = _lead(sf)
    error = _refused(lambda: sf.Lead.update(lead_id, {"OwnerId": case_queue}))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_a_public_group_is_no_owner(sf: Salesforce) -> None:
    group_id = str(sf.Group.create({"Name": "Everyone in sales"})["id"])  # Type Regular
    error = _refused(lambda: _lead(sf, OwnerId=group_id))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    error = _refused(lambda: sf.QueueSobject.create({"QueueId": group_id, "SobjectType": "Lead"}))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_contacts_are_never_queue_owned(sf: Salesforce) -> None:
    queue_id = _queue(sf, "Everything", "Lead", "Case")
    contact_id = str(sf.Contact.create({"LastName": "Person"})["id"])
    error = _refused(lambda: sf.Contact.update(contact_id, {"OwnerId": queue_id}))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert error["message"] == f"Owner ID: id value of incorrect type: {queue_id}"


def test_a_queue_type_and_its_objects_are_set_once(sf: Salesforce) -> None:
    queue_id = _queue(sf, "Once", "Lead")
    error = _refused(lambda: sf.QueueSobject.create({"QueueId": queue_id, "SobjectType": "Lead"}))
    assert error["errorCode"] == "DUPLICATE_VALUE"
    error = _refused(lambda: sf.Group.update(queue_id, {"Type": "Regular"}))
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_the_seeded_org_has_lead_queues_owning_some_leads(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    sandbox.control("POST", "/seed", {"leads": 100})
    queues = sf.query("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue'")
    names = {q["DeveloperName"]: q["Id"] for q in queues["records"]}
    assert set(names) == {"Inbound_Leads", "Partner_Leads"}
    ids = "', '".join(names.values())
    owned = sf.query(f"SELECT COUNT() FROM Lead WHERE OwnerId IN ('{ids}')")["totalSize"]
    assert 0 < owned < 20
