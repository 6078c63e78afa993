"""Change events as the Pub/Sub API delivers them: Avro, bitmap field lists, epoch times."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import fastavro

from leadbridge.ports import CrmField, CrmObject
from leadbridge.salesforce.pubsub.codec import EventSchema, to_event

HEADER = {
    "type": "record",
    "name": "ChangeEventHeader",
    "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
        {"name": "changeType", "type": "string"},
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": {"type": "array", "items": "string"}},
        {"name": "diffFields", "type": {"type": "array", "items": "string"}},
        {"name": "changedFields", "type": {"type": "array", "items": "string"}},
    ],
}
NAME = {
    "type": "record",
    "name": "Switchable_PersonName",
    "fields": [
        {"name": n, "type": ["null", "string"], "default": None}
        for n in ("Salutation", "FirstName", "LastName")
    ],
}
SCHEMA = {
    "type": "record",
    "name": "LeadChangeEvent",
    "namespace": "com.sforce.eventbus",
    "fields": [
        {"name": "ChangeEventHeader", "type": HEADER},  # 0
        {"name": "Name", "type": ["null", NAME], "default": None},  # 1
        {"name": "Company", "type": ["null", "string"], "default": None},  # 2
        {"name": "Title", "type": ["null", "string"], "default": None},  # 3
        {"name": "LastModifiedDate", "type": ["null", "long"], "default": None},  # 4
        {"name": "Birthday__c", "type": ["null", "long"], "default": None},  # 5
        {"name": "NumberOfEmployees", "type": ["null", "int"], "default": None},  # 6
        {"name": "IsConverted", "type": ["null", "boolean"], "default": None},  # 7
    ],
}
LEAD = CrmObject(
    "Lead",
    "Lead",
    False,
    {
        "LastModifiedDate": CrmField("LastModifiedDate", "Last Modified", "datetime"),
        "Birthday__c": CrmField("Birthday__c", "Birthday", "date"),
        "NumberOfEmployees": CrmField("NumberOfEmployees", "Employees", "int"),
    },
)
COMMITTED = datetime(2026, 12, 3, 14, 5, 6, 789000, tzinfo=UTC)


def _payload(change_type: str, changed: list[str], nulled: list[str], **values: Any) -> bytes:
    header = {
        "entityName": "Lead",
        "recordIds": ["00Q000000000001AAA"],
        "changeType": change_type,
        "changeOrigin": "com/salesforce/api/rest/62.0",
        "transactionKey": "tx-1",
        "sequenceNumber": 1,
        "commitTimestamp": int(COMMITTED.timestamp() * 1000),
        "commitNumber": 42,
        "commitUser": "005000000000001AAA",
        "nulledFields": nulled,
        "diffFields": [],
        "changedFields": changed,
    }
    out = io.BytesIO()
    fastavro.schemaless_writer(
        out, fastavro.parse_schema(SCHEMA), {"ChangeEventHeader": header, **values}
    )
    return out.getvalue()


def test_an_update_carries_only_its_changed_fields_named_by_the_bitmap() -> None:
    schema = EventSchema(json.dumps(SCHEMA))
    # bits 2 (Company), 3 (Title) and 4 (LastModifiedDate): 0b11100 = 0x1C; Name's LastName
    # (bit 2 of the compound) changed too: "1-0x04"; Title was set to null.
    payload = _payload(
        "UPDATE",
        ["0x1C", "1-0x04"],
        ["0x08"],
        Name={"Salutation": None, "FirstName": None, "LastName": "Lovelace"},
        Company="Analytical Engines",
        Title=None,
        LastModifiedDate=int(COMMITTED.timestamp() * 1000),
    )
    event = to_event(schema, payload, {"Lead": LEAD})
    assert event.change_type == "UPDATE"
    assert event.record_ids == ("00Q000000000001AAA",)
    assert event.committed_at == COMMITTED
    assert event.commit_user == "005000000000001AAA"
    assert dict(event.values) == {
        "Company": "Analytical Engines",
        "Title": None,
        "LastModifiedDate": "2026-12-03T14:05:06.789+0000",
        "LastName": "Lovelace",
    }


def test_a_create_carries_every_non_null_field_with_dates_as_the_rest_api_writes_them() -> None:
    schema = EventSchema(json.dumps(SCHEMA))
    payload = _payload(
        "CREATE",
        ["0xFE"],
        [],
        Name={"Salutation": None, "FirstName": "Ada", "LastName": "Lovelace"},
        Company="Engines",
        Birthday__c=int(datetime(1815, 12, 10, tzinfo=UTC).timestamp() * 1000),
        NumberOfEmployees=12,
        IsConverted=False,
    )
    values = dict(to_event(schema, payload, {"Lead": LEAD}).values)
    assert values == {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Engines",
        "Birthday__c": "1815-12-10",
        "NumberOfEmployees": 12,
        "IsConverted": False,
    }


def test_a_compound_field_nulled_whole_lists_every_part() -> None:
    schema = EventSchema(json.dumps(SCHEMA))
    assert schema.field_names(["0x02"]) == ["Salutation", "FirstName", "LastName"]
    assert schema.field_names(["0x10", "1-0x03"]) == ["LastModifiedDate", "Salutation", "FirstName"]
    assert schema.field_names([]) == []


ADDRESS = {
    "type": "record",
    "name": "Address",
    "fields": [
        {"name": n, "type": ["null", "string"], "default": None} for n in ("Street", "City")
    ],
}
ACCOUNT = {
    "type": "record",
    "name": "AccountChangeEvent",
    "fields": [
        {"name": "ChangeEventHeader", "type": HEADER},  # 0
        {"name": "BillingAddress", "type": ["null", ADDRESS], "default": None},  # 1
        {"name": "ShippingAddress", "type": ["null", "Address"], "default": None},  # 2
        {"name": "Name", "type": ["null", "string"], "default": None},  # 3
    ],
}


def test_address_parts_carry_their_prefix_and_a_named_type_is_followed() -> None:
    schema = EventSchema(json.dumps(ACCOUNT))
    assert schema.field_names(["0x08", "1-0x02", "2-0x03"]) == [
        "Name",
        "BillingCity",
        "ShippingStreet",
        "ShippingCity",
    ]
    header = {
        "entityName": "Account", "recordIds": ["001000000000001AAA"], "changeType": "UPDATE",
        "changeOrigin": "", "transactionKey": "t", "sequenceNumber": 1,
        "commitTimestamp": 0, "commitNumber": 1, "commitUser": "005",
        "nulledFields": [], "diffFields": [], "changedFields": ["0x04", "2-0x02"],
    }  # fmt: skip
    out = io.BytesIO()
    record = {
        "ChangeEventHeader": header,
        "ShippingAddress": {"Street": None, "City": "Paris"},
    }
    fastavro.schemaless_writer(out, fastavro.parse_schema(ACCOUNT), record)
    event = to_event(schema, out.getvalue(), {})
    assert dict(event.values) == {"ShippingCity": "Paris"}
