"""Record conversions, describe mapping and Bulk CSV handling (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from leadbridge.errors import CrmDataError, CrmTransientError
from leadbridge.salesforce import bulk, records


def test_clean_strips_attributes_at_every_depth() -> None:
    record = {
        "attributes": {"type": "Contact"},
        "Id": "003",
        "Account": {"attributes": {"type": "Account"}, "Name": "Acme"},
        "Cases": {"totalSize": 1, "done": True, "records": [{"attributes": {}, "Id": "500"}]},
    }
    assert records.clean_record(record) == {
        "Id": "003",
        "Account": {"Name": "Acme"},
        "Cases": [{"Id": "500"}],
    }


def test_json_values() -> None:
    paris = timezone(timedelta(hours=1))
    assert records.json_value(datetime(2024, 1, 1, 1, tzinfo=paris)) == "2024-01-01T00:00:00.000Z"
    assert records.json_value(date(2024, 1, 2)) == "2024-01-02"
    assert records.json_value(Decimal("3")) == 3
    assert records.json_value(Decimal("3.5")) == 3.5
    with pytest.raises(ValueError, match="timezone-aware"):
        records.json_value(datetime(2024, 1, 1))
    assert records.sobject("Lead", {"LastName": "X", "attributes": {"type": "Other"}}) == {
        "attributes": {"type": "Lead"},
        "LastName": "X",
    }


def test_save_results_in_order_with_errors_and_created_flags() -> None:
    answer = [
        {"id": "00Q1", "success": True, "errors": []},
        {
            "id": None,
            "success": False,
            "errors": [{"statusCode": "STRING_TOO_LONG", "message": "too long", "fields": ["A"]}],
        },
        {"id": "00Q3", "success": True, "errors": [], "created": False},
    ]
    results = records.save_results(answer, 4, created=True)
    assert [result.success for result in results] == [True, False, True, False]
    assert [result.created for result in results] == [True, False, False, False]
    assert isinstance(results[1].errors[0], CrmDataError)
    assert results[1].errors[0].fields == ["A"]
    assert results[3].errors[0].error_code == "NO_RESULT"


def test_parse_datetime_forms() -> None:
    expected = datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC)
    assert records.parse_datetime("2013-05-07T22:07:19.000+0000") == expected
    assert records.parse_datetime("2013-05-07T22:07:19Z") == expected
    assert records.parse_datetime("2013-05-07T22:07:19+00:00") == expected


def test_describe_mapping() -> None:
    described = {
        "name": "Lead",
        "label": "Lead",
        "custom": False,
        "fields": [
            {
                "name": "Status",
                "label": "Lead Status",
                "type": "picklist",
                "length": 255,
                "nillable": False,
                "defaultedOnCreate": True,
                "restrictedPicklist": True,
                "picklistValues": [
                    {"value": "Open", "active": True},
                    {"value": "Old", "active": False},
                ],
            },
            {
                "name": "OwnerId",
                "type": "reference",
                "referenceTo": ["User"],
                "relationshipName": "Owner",
            },
        ],
    }
    lead = records.crm_object(described)
    status = lead.field("status")
    assert status is not None
    assert status.picklist_values == ("Open",)
    assert status.restricted_picklist
    assert not status.required_on_create
    owner = lead.fields["OwnerId"]
    assert owner.reference_to == ("User",)
    assert owner.relationship_name == "Owner"


def test_custom_object_names() -> None:
    described = {
        "sobjects": [
            {"name": "Lead"},
            {"name": "Subscription__c"},
            {"name": "Setting__c", "customSetting": True},
            {"name": "Thing__mdt"},
            {"name": "Event__e"},
        ]
    }
    assert records.custom_object_names(described) == ["Subscription__c"]


def test_csv_cells() -> None:
    assert bulk.csv_cell(None) == "#N/A"
    assert bulk.csv_cell(True) == "true"
    assert bulk.csv_cell(1e-7) == "0.0000001"
    assert bulk.csv_cell(Decimal("2.50")) == "2.50"
    assert bulk.csv_cell(date(2024, 1, 1)) == "2024-01-01"


def test_plan_jobs_uses_one_header_and_splits_by_size() -> None:
    rows = [{"LastName": f"L{i}", "Company": 'C,"quoted"'} for i in range(10)]
    rows[3] = {"LastName": "Only", "Email": "x@example.com"}
    jobs = bulk.plan_jobs(rows, max_bytes=120)
    assert len(jobs) > 1
    assert all(job.header == ["LastName", "Company", "Email"] for job in jobs)
    assert [index for job in jobs for index in job.indexes] == list(range(10))
    assert jobs[0].csv().splitlines()[0] == "LastName,Company,Email"
    assert 'L0,"C,""quoted""",' in jobs[0].csv()


def test_match_results_puts_rows_back_in_request_order() -> None:
    rows = [
        {"LastName": "A"},
        {"LastName": "B"},
        {"LastName": "A"},
        {"LastName": ""},
        {"LastName": "D"},
    ]
    (job,) = bulk.plan_jobs(rows)
    successful = "sf__Id,sf__Created,LastName\n003B,true,B\n003A1,true,A\n003A2,true,A\n"
    error = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    failed = f"sf__Id,sf__Error,LastName\n,{error},\n"
    unprocessed = "LastName\nD\n"
    results = bulk.match_results(job, successful, failed, unprocessed, operation="insert")
    assert results[0].id == "003A1"
    assert results[1].id == "003B"
    assert results[2].id == "003A2"
    assert results[3].errors[0].error_code == "REQUIRED_FIELD_MISSING"
    assert results[3].errors[0].fields == ["LastName"]
    assert isinstance(results[4].errors[0], CrmTransientError)
    assert all(results[index].created for index in (0, 1, 2))


def test_match_results_falls_back_to_the_key_column_never_the_order() -> None:
    rows = [
        {"Id": "00Q000000000001AAA", "Title": "cto "},
        {"Id": "00Q000000000002AAA", "Title": "ceo"},
    ]
    (job,) = bulk.plan_jobs(rows)
    # the echo of the first row differs from what was sent (a value rewritten), and the
    # rows come back in the other order
    successful = (
        "sf__Id,sf__Created,Id,Title\n"
        "00Q000000000002AAA,false,00Q000000000002AAA,ceo\n"
        "00Q000000000001AAA,false,00q000000000001aaa,cto\n"
    )
    results = bulk.match_results(job, successful, "", "", operation="update")
    assert results[0].id == "00Q000000000001AAA"
    assert results[1].id == "00Q000000000002AAA"


def test_match_results_leaves_an_ambiguous_key_unmatched() -> None:
    rows = [
        {"Email": "a@example.com", "LastName": "A"},
        {"Email": "a@example.com", "LastName": "B"},
    ]
    (job,) = bulk.plan_jobs(rows)
    successful = "sf__Id,sf__Created,Email,LastName\n00Q1,true,a@example.com,a\n"
    assert bulk.match_results(job, successful, "", "", operation="insert") == {}
