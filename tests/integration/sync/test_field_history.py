"""The sandbox's field history (LeadHistory), read by SOQL and by the client's batched read."""

from __future__ import annotations

from datetime import timedelta

from leadbridge.sandbox.clock import parse_datetime
from tests.integration.sync.conftest import Wired


def test_tracked_field_changes_are_history_rows_on_the_org_clock(wired: Wired) -> None:
    wired.control("POST", "/clock", {"offset_seconds": 600})
    made = wired.control(
        "POST", "/records/Lead", {"fields": {"LastName": "L", "Company": "C", "Title": "A"}}
    )
    lead = made["id"]
    wired.control("PATCH", f"/records/Lead/{lead}", {"fields": {"Title": "B", "Phone": "1"}})
    [result] = wired.crm.update("Lead", [{"Id": lead, "Title": "C", "Phone": "2"}])
    assert result.success
    rows = list(
        wired.crm.query(
            "SELECT LeadId, Field, OldValue, NewValue, CreatedDate FROM LeadHistory "
            f"WHERE LeadId IN ('{lead}') ORDER BY CreatedDate"
        )
    )
    # Phone is not tracked in the default schema; Title is.
    assert [(r["Field"], r["OldValue"], r["NewValue"]) for r in rows] == [
        ("Title", "A", "B"),
        ("Title", "B", "C"),
    ]
    modified = wired.rows('SELECT "LastModifiedDate" FROM "Lead" WHERE "Id" = ?', lead)[0]
    assert rows[-1]["CreatedDate"].startswith(modified["LastModifiedDate"][:19])
    ahead = wired.crm.server_now() - parse_datetime(rows[-1]["CreatedDate"])
    assert abs(ahead) < timedelta(seconds=5)  # dated on the org's clock, 10 min ahead
    changes = wired.crm.field_history("Lead", [lead], ["Title", "Phone"])
    assert [c.new_value for c in changes] == ["B", "C"]


def test_history_rows_cannot_be_written(wired: Wired) -> None:
    [result] = wired.crm.create("LeadHistory", [{"Field": "Title", "NewValue": "x"}])
    assert not result.success
    assert result.errors[0].error_code == "INVALID_TYPE_FOR_OPERATION"
