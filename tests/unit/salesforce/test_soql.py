"""SOQL literals, names and chunking (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import quote_plus

import pytest

from leadbridge.errors import InputError
from leadbridge.salesforce import soql


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("o'brien@example.com", r"'o\'brien@example.com'"),
        ("back\\slash@example.com", r"'back\\slash@example.com'"),
        ('say "hi"', r"'say \"hi\"'"),
        ("line\nbreak\r\ttab", r"'line\nbreak\r\ttab'"),
        ("\b\f", r"'\b\f'"),
        ("bell\x07", r"'bell\u0007'"),
        ("plain", "'plain'"),
        ("ünïcødé", "'ünïcødé'"),
    ],
)
def test_quote_escapes_per_salesforce_rules(value: str, expected: str) -> None:
    assert soql.quote(value) == expected


def test_quote_refuses_literals_over_4000_characters() -> None:
    assert soql.quote("x" * 4000) == f"'{'x' * 4000}'"
    with pytest.raises(InputError, match="4,000"):
        soql.quote("x" * 4001)


def test_literals_of_other_types() -> None:
    assert soql.literal(None) == "null"
    assert soql.literal(True) == "true"
    assert soql.literal(3) == "3"
    assert soql.literal(Decimal("1.50")) == "1.50"
    assert soql.literal(date(2024, 1, 31)) == "2024-01-31"
    paris = timezone(timedelta(hours=1))
    assert soql.literal(datetime(2024, 1, 1, 1, 0, 0, 999, tzinfo=paris)) == "2024-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        soql.datetime_literal(datetime(2024, 1, 1))
    with pytest.raises(TypeError):
        soql.literal(object())


@pytest.mark.parametrize("name", ["Email", "Owner.Email", "Custom__c", "_x", "Account.Owner.Id"])
def test_field_names_accepted(name: str) -> None:
    assert soql.field_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "1abc", "Email, Id", "Email--", "x) OR (1", "a..b", "a.", "Na me", "É"]
)
def test_field_names_refused(name: str) -> None:
    with pytest.raises(InputError):
        soql.field_name(name)


def test_object_names_have_no_dots() -> None:
    assert soql.object_name("Subscription__c") == "Subscription__c"
    with pytest.raises(InputError):
        soql.object_name("Lead.Owner")


def test_field_list_puts_required_first_and_dedupes_any_case() -> None:
    assert soql.field_list(["email", "Id", "Name"], required=("Id", "Email")) == [
        "Id",
        "Email",
        "Name",
    ]
    assert soql.select(["Name"], "Lead") == "SELECT Id, Name FROM Lead"


def test_in_clause() -> None:
    assert (
        soql.in_clause("Email", ["a@x.com", "o'b@x.com"]) == r"Email IN ('a@x.com', 'o\'b@x.com')"
    )
    with pytest.raises(InputError):
        soql.in_clause("Email", [])


def test_in_statements_cover_every_value_within_the_url_budget() -> None:
    emails = [f"person{i}@example-company.com" for i in range(5000)]
    limits = soql.StatementLimits(max_url_chars=10_000, max_values=500)
    plan = soql.in_statements("SELECT Id FROM Lead WHERE ", "Email", emails, limits=limits)
    assert plan.skipped == []
    found = [value for statement in plan.statements for value in statement.split("'")[1::2]]
    assert found == emails
    for statement in plan.statements:
        assert len(quote_plus(statement)) <= 10_000
        assert statement.startswith("SELECT Id FROM Lead WHERE Email IN (")
    assert len(plan.statements) <= 25  # ~240 of these 31-character emails per statement


def test_in_statements_respect_the_value_cap_and_suffix() -> None:
    limits = soql.StatementLimits(max_url_chars=1_000_000, max_values=3)
    plan = soql.in_statements(
        "SELECT Id FROM Lead WHERE ", "Email", list("abcdefg"), suffix=" AND (X = 1)", limits=limits
    )
    assert plan.statements == [
        "SELECT Id FROM Lead WHERE Email IN ('a', 'b', 'c') AND (X = 1)",
        "SELECT Id FROM Lead WHERE Email IN ('d', 'e', 'f') AND (X = 1)",
        "SELECT Id FROM Lead WHERE Email IN ('g') AND (X = 1)",
    ]


def test_in_statements_respect_the_statement_limit() -> None:
    limits = soql.StatementLimits(max_url_chars=10**9, max_values=10**6)
    values = ["v" * 3990 for _ in range(60)]
    plan = soql.in_statements("SELECT Id FROM Lead WHERE ", "Name", values, limits=limits)
    assert sum(statement.count("'") // 2 for statement in plan.statements) == 60
    assert all(len(statement) <= soql.MAX_STATEMENT_CHARS for statement in plan.statements)


def test_values_that_cannot_fit_are_skipped_with_a_reason() -> None:
    long_email = "a" * 4001 + "@example.com"
    plan = soql.in_statements("SELECT Id FROM Lead WHERE ", "Email", ["ok@x.com", long_email])
    assert plan.statements == ["SELECT Id FROM Lead WHERE Email IN ('ok@x.com')"]
    assert [skip.value for skip in plan.skipped] == [long_email]
    assert "4,000" in plan.skipped[0].reason
    tight = soql.StatementLimits(max_url_chars=100)
    squeezed = soql.in_statements("SELECT Id FROM Lead WHERE ", "Email", ["b" * 200], limits=tight)
    assert squeezed.statements == []
    assert squeezed.skipped[0].reason == "too long to fit in one query"


def test_no_values_no_statements() -> None:
    assert soql.in_statements("SELECT Id FROM Lead WHERE ", "Email", []).statements == []


def test_datetime_literal_is_utc() -> None:
    assert soql.datetime_literal(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
