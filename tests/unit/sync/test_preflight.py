"""What Salesforce would refuse, found from the schema before a call is spent."""

from __future__ import annotations

from leadbridge.domain.preflight import (
    BAD_PICKLIST_VALUE,
    NOT_WRITABLE,
    REQUIRED_FIELD_MISSING,
    STRING_TOO_LONG,
    WRONG_TYPE,
    preflight,
)
from tests.unit.sync.schema import LEAD

VALID = {"LastName": "Ng", "Company": "Acme", "Email": "ng@example.com"}


def codes(values: dict[str, object], *, creating: bool = True) -> list[str]:
    return [p.code for p in preflight(values, LEAD, creating=creating)]


def test_a_valid_new_lead_passes() -> None:
    assert (
        codes({**VALID, "Status": "Working", "AnnualRevenue": 1.5, "Founded__c": "2020-02-29"})
        == []
    )


def test_too_long_text_names_the_limit_and_the_prospect_field() -> None:
    [problem] = preflight(
        {**VALID, "Title": "x" * 130}, LEAD, creating=True, sources={"Title": "job_title"}
    )
    assert problem.code == STRING_TOO_LONG
    assert problem.fields == ("Title",)
    assert "job_title" in problem.message
    assert "at most 128 characters" in problem.message
    assert "130" in problem.message


def test_restricted_picklists_are_exact() -> None:
    [problem] = preflight({**VALID, "Status": "qualified"}, LEAD, creating=True)
    assert problem.code == BAD_PICKLIST_VALUE
    assert "'Open', 'Working', 'Qualified'" in problem.message
    assert "'qualified'" in problem.message


def test_required_fields() -> None:
    assert codes({"Company": "Acme"}) == [REQUIRED_FIELD_MISSING]  # LastName never given
    assert codes({**VALID, "LastName": None}) == [REQUIRED_FIELD_MISSING]
    assert codes({"Title": "CTO"}, creating=False) == []  # an update sends only changes


def test_wrong_types() -> None:
    assert codes({**VALID, "AnnualRevenue": "lots"}) == [WRONG_TYPE]
    assert codes({**VALID, "AnnualRevenue": True}) == [WRONG_TYPE]
    assert codes({**VALID, "HasOptedOutOfEmail": "yes"}) == [WRONG_TYPE]
    assert codes({**VALID, "Founded__c": "31/01/2026"}) == [WRONG_TYPE]


def test_read_only_fields_are_refused() -> None:
    assert codes({**VALID, "Name": "Ng"}) == [NOT_WRITABLE]
