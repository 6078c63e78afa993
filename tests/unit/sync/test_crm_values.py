"""Values in Salesforce's form, and echo detection for the pull."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leadbridge.domain.crm_values import crm_value, is_blank, is_echo, same_value
from leadbridge.domain.field_rules import FieldRule, Side
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.push_record import decide_field
from tests.unit.sync.schema import field

TEXT, NUMBER, BOOLEAN = field("T"), field("N", "double"), field("B", "boolean")
# A multi-select whose definition order is not alphabetical.
MULTI = field("M", "multipicklist", picklist_values=("Email", "Web", "Analytics", "API"))


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
        (("API", "Email", "Analytics"), MULTI, "Email;Analytics;API"),  # definition order
        ("API;Email", MULTI, "Email;API"),  # Salesforce's text the same way
        (["Web", " Web ", "", "Email"], MULTI, "Email;Web"),  # each value once, no blanks
        ("Podcasts;API;Email;Blogs", MULTI, "Email;API;Blogs;Podcasts"),  # undefined: last
        (" ; ", MULTI, None),
        (Decimal("2.50"), NUMBER, 2.5),
        ("2.50", NUMBER, 2.5),
        (1234.5678, NUMBER, 1234.5678),  # more places than a scale: kept, as Salesforce does
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


def test_numbers_compare_by_value_not_by_text() -> None:
    assert same_value(Decimal("2.50"), 2.5)
    assert same_value(Decimal("0.1"), 0.1)  # what Salesforce's double holds for it
    assert same_value(2, Decimal("2.000"))
    assert not same_value(Decimal("2.51"), 2.5)
    assert same_value(10**30, 10**30) and not same_value(10**30, 1.0)


def test_a_multi_select_pushed_out_of_order_comes_back_as_an_echo() -> None:
    """Salesforce returns a multi-select in the picklist's definition order: the order leadbridge
    sent it in is no change, a different selection is."""
    remembered = {"M": crm_value(("API", "Email"), MULTI), "N": crm_value(Decimal("2.50"), NUMBER)}
    assert is_echo(MULTI, "Email;API", remembered)
    assert not is_echo(MULTI, "Email;API;Web", remembered)
    assert is_echo(NUMBER, 2.5, remembered)
    assert not is_echo(NUMBER, 2.55, remembered)


def test_a_multi_select_remembered_in_the_order_sent_is_still_an_echo() -> None:
    """Sync state written before values were kept in Salesforce's form holds the order
    leadbridge sent; Salesforce's reordering of it is no change either."""
    assert is_echo(MULTI, "Email;API", {"M": "API;Email"})
    assert not is_echo(MULTI, "Email", {"M": "API;Email"})


def test_a_remembered_order_is_no_salesforce_move_for_the_field_rules() -> None:
    """Only leadbridge moved (Salesforce merely reordered what was remembered): the most
    recent change is leadbridge's, whatever the record's modification time says."""
    rule = FieldRule("interest", "M", SyncBehaviour.MOST_RECENT)
    existing = {"Id": "00QA", "M": "Email;API", "LastModifiedDate": "2030-01-01T00:00:00Z"}
    ours_at = datetime(2026, 1, 1, tzinfo=UTC)  # long before the record's last modification
    decision = decide_field(rule, MULTI, "Web", existing, {"M": "API;Email"}, ours_at)
    assert decision.side is Side.LEADBRIDGE


def test_a_multi_select_compares_in_any_order_salesforce_returns() -> None:
    """Salesforce's order may differ from describe's (values reordered in Setup, inactive
    values): the selection is the same whatever order either side holds it in."""
    pushed = crm_value(("Blogs", "API", "Podcasts", "Web"), MULTI)
    for returned in ("API;Web;Podcasts;Blogs", "Podcasts;Blogs;Web;API"):
        assert crm_value(returned, MULTI) == pushed
