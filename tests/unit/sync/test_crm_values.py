"""Values in Salesforce's form, and echo detection for the pull."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadbridge.domain.crm_values import crm_value, is_blank, is_echo, same_value
from tests.unit.sync.schema import field

TEXT, NUMBER, BOOLEAN = field("T"), field("N", "double"), field("B", "boolean")


@pytest.mark.parametrize(
    ("value", "crm_field", "expected"),
    [
        (None, TEXT, None),
        ("   ", TEXT, None),
        ("Acme", TEXT, "Acme"),
        (12, NUMBER, 12),
        (12.0, NUMBER, 12),
        ("1,200.5", NUMBER, 1200.5),
        ("abc", NUMBER, "abc"),  # left for the pre-flight check to report
        (None, BOOLEAN, False),
        ("true", BOOLEAN, True),
        (date(2026, 1, 31), field("D", "date"), "2026-01-31"),
        ("2026-01-31T10:00:00.000+0000", field("D", "date"), "2026-01-31"),
        (datetime(2026, 1, 31, 10, tzinfo=UTC), field("D", "datetime"), "2026-01-31T10:00:00.000Z"),
        ("2026-01-31T11:00:00.000+0100", field("D", "datetime"), "2026-01-31T10:00:00.000Z"),
        (("a", "b"), field("M", "multipicklist"), "a;b"),
    ],
)
def test_crm_value(value: object, crm_field: object, expected: object) -> None:
    assert crm_value(value, crm_field) == expected  # type: ignore[arg-type]


def test_blank_and_same() -> None:
    assert is_blank("") and is_blank(()) and not is_blank(0) and not is_blank(False)
    assert same_value(1, 1.0)
    assert not same_value(True, 1)
    assert not same_value("acme", "Acme")  # Salesforce's restricted picklists are exact


def test_a_value_we_pushed_comes_back_as_an_echo() -> None:
    remembered = {"LeadBridge_Score__c": 42, "Title": "CTO"}
    assert is_echo(field("LeadBridge_Score__c", "double"), 42.0, remembered)
    assert is_echo(field("title"), "CTO", remembered)  # API names ignore case
    assert not is_echo(field("Title"), "CEO", remembered)  # Salesforce changed it
    assert not is_echo(field("Phone"), None, remembered)  # never synced: not an echo
    assert not is_echo(None, "CTO", remembered)
