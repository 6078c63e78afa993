"""The Avro shape of change events and Salesforce's field bitmaps (no server)."""

from __future__ import annotations

import io

import fastavro
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.sandbox.pubsub import bitmaps
from leadbridge.sandbox.pubsub.layout import EventLayout
from leadbridge.sandbox.pubsub.topics import entity_for_topic, event_name, topic_name
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE, load_schema


@given(
    st.sets(st.integers(0, 80)),
    st.dictionaries(st.integers(1, 80), st.sets(st.integers(0, 10), min_size=1), max_size=3),
)
def test_bitmaps_round_trip(top: set[int], nested: dict[int, set[int]]) -> None:
    encoded = bitmaps.encode(top, nested)
    if not top and not nested:
        assert encoded == []
        return
    assert all(len(element.rpartition("0x")[2]) % 2 == 0 for element in encoded)
    assert bitmaps.decode(encoded) == (top | set(nested), nested)


def test_small_bitmaps() -> None:
    assert bitmaps.encode({1}, {}) == ["0x02"]
    assert bitmaps.encode({3}, {6: {1}}) == ["0x48", "6-0x02"]
    assert bitmaps.hex_bits([8]) == "0x0100"


def test_lead_compounds_replace_their_components() -> None:
    layout = EventLayout(load_schema().object("Lead"))  # type: ignore[arg-type]
    names = [field["name"] for field in layout.schema["fields"]]
    assert names[0] == "ChangeEventHeader"
    assert names.index("Name") < names.index("Company") < names.index("Address")
    assert not {"FirstName", "LastName", "Salutation", "Street", "City"} & set(names)
    assert not {"Id", "IsDeleted", "SystemModstamp"} & set(names)
    address = layout.schema["fields"][names.index("Address")]["type"][1]
    assert [f["name"] for f in address["fields"]] == [
        "Street",
        "City",
        "State",
        "PostalCode",
        "Country",
    ]
    assert len(layout.schema_id) == 22


def test_an_encoded_event_decodes_with_the_schema() -> None:
    obj = load_schema().object("Contact")
    assert obj is not None
    layout = EventLayout(obj)
    row = {
        "FirstName": "Ada",
        "MailingCity": "London",
        "CreatedDate": "2024-01-31T12:00:00.000+0000",
        "DoNotCall": 0,
    }
    body = layout.body(row, list(row))
    header = {
        "entityName": "Contact",
        "recordIds": ["003000000000001AAA"],
        "changeType": "CREATE",
        "changeOrigin": "",
        "transactionKey": "k",
        "sequenceNumber": 1,
        "commitTimestamp": 1,
        "commitNumber": 1,
        "commitUser": "005000000000001AAA",
        "nulledFields": [],
        "diffFields": [],
        "changedFields": layout.bitmap(list(row)),
    }
    payload = layout.encode({"ChangeEventHeader": header, **body})
    parsed = fastavro.parse_schema(layout.schema)
    record = fastavro.schemaless_reader(io.BytesIO(payload), parsed, None)
    assert record["Name"]["FirstName"] == "Ada"
    assert record["MailingAddress"]["City"] == "London"
    assert record["CreatedDate"] == 1706702400000
    assert record["DoNotCall"] is False
    assert record["Email"] is None


def test_a_new_custom_field_makes_a_new_schema_id() -> None:
    fresh = load_schema(FRESH_ORG_SCHEMA_FILE).object("Lead")
    full = load_schema().object("Lead")
    assert fresh is not None and full is not None
    assert EventLayout(fresh).schema_id != EventLayout(full).schema_id
    assert EventLayout(full).schema_id == EventLayout(full).schema_id  # stable


def test_topic_names() -> None:
    schema = load_schema()
    custom = schema.object("Subscription__c")
    assert custom is not None
    assert event_name(custom) == "Subscription__ChangeEvent"
    assert topic_name(custom) == "/data/Subscription__ChangeEvent"
    assert entity_for_topic(schema, "/data/Subscription__ChangeEvent") is custom
    assert entity_for_topic(schema, "/data/LeadChangeEvent") is schema.object("Lead")
    assert entity_for_topic(schema, "/data/Subscription__cChangeEvent") is None
    assert entity_for_topic(schema, "/data/LeadHistoryChangeEvent") is None
    assert entity_for_topic(schema, "/event/LeadChangeEvent") is None
