"""Criteria: every operator on every kind of field, blanks, all/any, and clear errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from leadbridge.domain.criteria import (
    Criteria,
    compile_condition,
    compile_criteria,
    default_field_types,
    parse_when,
)
from leadbridge.domain.fields import FieldType
from leadbridge.errors import InputError
from leadbridge.store.prospect import Prospect

TYPES = default_field_types() | {
    "renewal": FieldType.DATE,
    "plan": FieldType.DROPDOWN,
    "products": FieldType.MULTISELECT,
    "partner": FieldType.CHECKBOX,
    "seats": FieldType.NUMBER,
}


def prospect(**values: Any) -> Prospect:
    custom_names = set(TYPES) - set(default_field_types())
    custom = {name: values.pop(name) for name in list(values) if name in custom_names}
    values.setdefault("email", "ada@Example.com")
    return Prospect(id=1, custom=custom, **values)


def holds(field: str, op: str, value: Any = None, **values: Any) -> bool:
    item = {"field": field, "op": op} | ({} if value is None else {"value": value})
    return compile_condition(item, TYPES).holds(prospect(**values))


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("equals", "france", "France", True),
        ("equals", "France", "Spain", False),
        ("not_equals", "France", "Spain", True),
        ("not_equals", "France", None, True),  # blank is not France
        ("equals", "France", None, False),
        ("contains", "ran", "France", True),
        ("contains", "xyz", "France", False),
        ("starts_with", "fr", "France", True),
        ("starts_with", "an", "France", False),
        ("is_blank", None, None, True),
        ("is_blank", None, "   ", True),
        ("is_not_blank", None, "France", True),
        ("is", "FRANCE", "France", True),  # alias
        ("not equals", "Spain", "France", True),  # spaces become underscores
    ],
)
def test_text_operators(op: str, value: Any, actual: Any, expected: bool) -> None:
    assert holds("country", op, value, country=actual) is expected


@pytest.mark.parametrize(
    ("op", "value", "score", "expected"),
    [
        ("greater", 50, 51, True),
        ("greater", "50", 50, False),
        ("less", "1,000", 999, True),
        ("equals", 10, 10, True),
        (">", 0, -1, False),
        ("<", 0, -1, True),
    ],
)
def test_number_operators_on_score(op: str, value: Any, score: int, expected: bool) -> None:
    assert holds("score", op, value, score=score) is expected


def test_numbers_blank_never_compare() -> None:
    assert holds("employees", "less", 10, employees=None) is False
    assert holds("employees", "greater", 10, employees=None) is False
    assert holds("employees", "is_blank", employees=None) is True
    assert holds("annual_revenue", "greater", 1.5, annual_revenue=2.25) is True


def test_custom_fields_of_each_type() -> None:
    assert holds("renewal", "before", "2026-06-01", renewal=date(2026, 5, 31)) is True
    assert holds("renewal", "after", "2026-06-01", renewal=date(2026, 5, 31)) is False
    assert holds("renewal", "equals", "2026-05-31", renewal=date(2026, 5, 31)) is True
    assert holds("plan", "equals", "gold", plan="Gold") is True
    assert holds("products", "contains", "api", products=("Web", "API")) is True
    assert holds("products", "equals", "api;web", products=("Web", "API")) is True
    assert holds("products", "equals", ["api"], products=("Web", "API")) is False
    assert holds("products", "is_blank", products=()) is True
    assert holds("partner", "is", "yes", partner=True) is True
    assert holds("seats", "greater", 9, seats=10) is True


def test_grades_compare_by_rank() -> None:
    assert holds("grade", "greater", "B", grade="A-") is True
    assert holds("grade", "greater", "B", grade="B") is False
    assert holds("grade", "less", "b+", grade="C") is True
    assert holds("grade", "equals", "a", grade="A") is True
    assert holds("grade", "greater", "F", grade=None) is False


def test_pseudo_fields() -> None:
    assert holds("assigned", "is", "false") is True
    assert holds("assigned", "is", True, assigned_user_id=4) is True
    assert holds("in_crm", "is", True, crm_contact_id="003000000000001AAA") is True
    assert holds("in_crm", "equals", "no", crm_lead_id="00Q000000000001AAA") is False
    assert holds("email_domain", "is", "EXAMPLE.com") is True
    assert holds("email_domain", "is_not", "@gmail.com") is True
    assert holds("do_not_sync", "is", True, do_not_sync=True) is True


def test_match_all_or_any() -> None:
    items = [
        {"field": "country", "op": "equals", "value": "France"},
        {"field": "score", "op": "greater", "value": 50},
    ]
    france_low = prospect(country="France", score=10)
    assert compile_criteria(items, TYPES).matches(france_low) is False
    assert compile_criteria(items, TYPES, match="any").matches(france_low) is True
    criteria = compile_criteria(items, TYPES, match="ANY")
    assert isinstance(criteria, Criteria)
    assert criteria.to_json() == [
        {"field": "country", "op": "equals", "value": "France"},
        {"field": "score", "op": "greater", "value": 50},
    ]
    assert criteria.describe() == "country equals 'France' or score greater 50"


@pytest.mark.parametrize(
    ("item", "where", "message"),
    [
        ({"field": "favourite", "op": "equals", "value": "x"}, "criteria[0].field", "no prospect"),
        ({"field": "score", "op": "contains", "value": "5"}, "criteria[0].op", "does not apply"),
        ({"field": "country", "op": "greater", "value": "a"}, "criteria[0].op", "text field"),
        ({"field": "assigned", "op": "is_blank"}, "criteria[0].op", "boolean"),
        ({"field": "score", "op": "greater", "value": "lots"}, "criteria[0].value", "number"),
        ({"field": "renewal", "op": "after", "value": "01/02/2026"}, "criteria[0].value", "date"),
        ({"field": "country", "op": "equals"}, "criteria[0].value", "is_blank"),
        ({"field": "grade", "op": "equals", "value": "Z"}, "criteria[0].value", "not a grade"),
        ({"field": "email_domain", "op": "is", "value": "nodot"}, "criteria[0].value", "domain"),
        ({"field": "country", "op": "like", "value": "x"}, "criteria[0].op", "unknown operator"),
        ({"field": "country", "op": "equals", "value": "x", "x": 1}, "criteria[0]", "unknown keys"),
        ("country equals x", "criteria[0]", "expected an object"),
    ],
)
def test_bad_criteria_name_the_criterion(item: Any, where: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_criteria([item], TYPES)
    assert caught.value.item == where
    assert message in caught.value.reason


def test_criteria_list_and_match_are_checked() -> None:
    with pytest.raises(InputError, match="one or more criteria"):
        compile_criteria([], TYPES)
    with pytest.raises(InputError, match="'all' or 'any'"):
        compile_criteria([{"field": "score", "op": "greater", "value": 1}], TYPES, match="most")


def test_parse_when() -> None:
    assert parse_when("country equals New York") == {
        "field": "country",
        "op": "equals",
        "value": "New York",
    }
    assert parse_when("company is_blank") == {"field": "company", "op": "is_blank"}
    assert parse_when("city is 'San José'")["value"] == "San José"
    with pytest.raises(InputError, match="FIELD OP"):
        parse_when("country")
