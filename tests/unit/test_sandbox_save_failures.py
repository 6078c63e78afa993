"""Failed saves leave nothing behind: a record of an sObject Collection failing after its
write (duplicate rule, validation rule) leaves no row nor field history while the others
stand, and a rolled-back _meta write is not read back from the org's cache."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from leadbridge.sandbox import SandboxBackend

from .test_sandbox_api import Api, lead

UPSERT = "/composite/sobjects/Lead/LeadBridge_Prospect_Id__c"


@pytest.fixture
def api(backend: SandboxBackend) -> Api:
    return Api(backend)


def _scalar(api: Api, sql: str, *params: Any) -> Any:
    return api.backend.db.conn.execute(sql, params).fetchone()[0]


def test_a_duplicate_in_an_upsert_leaves_no_row_and_the_others_are_saved(api: Api) -> None:
    existing = api.call("POST", "/composite/sobjects", {"records": [lead("E", Email="d@x.com")]})
    assert existing.body[0]["success"], existing.body
    records = [
        {**lead("A", Email="a@x.com"), "LeadBridge_Prospect_Id__c": "k1"},
        {**lead("B", Email="D@x.com"), "LeadBridge_Prospect_Id__c": "k2"},
        {**lead("C", Email="c@x.com"), "LeadBridge_Prospect_Id__c": "k3"},
    ]
    reply = api.call("PATCH", UPSERT, {"allOrNone": False, "records": records})
    assert [result["success"] for result in reply.body] == [True, False, True]
    assert reply.body[1]["errors"][0]["statusCode"] == "DUPLICATES_DETECTED"
    assert _scalar(api, 'SELECT COUNT(*) FROM "Lead" WHERE "LastName" = ?', "B") == 0
    assert api.count("SELECT COUNT() FROM Lead") == 3
    again = api.call("PATCH", UPSERT, {"allOrNone": False, "records": [records[0]]})
    assert again.body[0]["created"] is False


def test_an_update_failing_a_validation_rule_leaves_no_change_nor_history(api: Api) -> None:
    created = api.call("POST", "/composite/sobjects", {"records": [lead("A"), lead("B")]})
    first, second = (result["id"] for result in created.body)
    update = {
        "records": [
            {"attributes": {"type": "Lead"}, "id": first, "FirstName": "F", "Status": "Qualified"},
            {"attributes": {"type": "Lead"}, "id": second, "FirstName": "G", "Title": "T"},
        ]
    }
    reply = api.call("PATCH", "/composite/sobjects", update)
    assert [result["success"] for result in reply.body] == [False, True]
    assert reply.body[0]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert _scalar(api, 'SELECT "FirstName" FROM "Lead" WHERE "Id" = ?', first) is None
    assert _scalar(api, 'SELECT COUNT(*) FROM "LeadHistory" WHERE "LeadId" = ?', first) == 0
    history = api.backend.db.conn.execute(
        'SELECT "Field", "OldValue", "NewValue", "CreatedById", "CreatedDate" = "SystemModstamp" '
        'FROM "LeadHistory" WHERE "LeadId" = ? AND "IsDeleted" = 0 ORDER BY "Field"',
        (second,),
    ).fetchall()
    admin = api.backend.org.admin_user_id
    assert history == [("FirstName", None, "G", admin, 1), ("Title", None, "T", admin, 1)]
    queried = api.count(f"SELECT COUNT() FROM LeadHistory WHERE LeadId = '{second}'")
    assert queried == 2


class _UndoError(Exception):
    pass


def _write_then_fail(backend: SandboxBackend, value: str, inner: str | None = None) -> None:
    """set_meta(k, value) in a transaction (or savepoint) that rolls back; with `inner`, a
    nested savepoint first writes `inner` and rolls back, and `value` must be read again."""
    db = backend.db
    with db.transaction():
        db.set_meta("k", value)
        if inner is not None:
            with contextlib.suppress(_UndoError):
                _write_then_fail(backend, inner)
        assert db.get_meta("k") == value
        raise _UndoError


def test_meta_values_read_back_follow_writes_rollbacks_and_wipes(backend: SandboxBackend) -> None:
    db = backend.db
    db.set_meta("k", "one")
    assert db.get_meta("k") == "one"
    with pytest.raises(_UndoError):
        _write_then_fail(backend, "two", inner="three")
    assert db.get_meta("k") == "one"
    db.wipe()
    assert db.get_meta("k") is None
