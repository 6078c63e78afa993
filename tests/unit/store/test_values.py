from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from leadbridge.domain.fields import DEFAULT_FIELD_NAMES, FieldType
from leadbridge.errors import InputError
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.values import DEFAULT_SPECS, FieldSpec, checker, coerce, from_text, to_text

NUMBER = FieldSpec("n", FieldType.NUMBER)
WHOLE = FieldSpec("w", FieldType.NUMBER, integer=True)
CHOICE = FieldSpec("c", FieldType.DROPDOWN, options=("Gold", "Silver"))
MANY = FieldSpec("m", FieldType.MULTISELECT, options=("AI", "Web"))


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (DEFAULT_SPECS["first_name"], "Ada", "Ada"),
        (DEFAULT_SPECS["first_name"], "   ", None),
        (DEFAULT_SPECS["opted_out"], None, False),
        (DEFAULT_SPECS["opted_out"], "Yes", True),
        (DEFAULT_SPECS["opted_out"], 0, False),
        (NUMBER, "1,234.5", 1234.5),
        (NUMBER, Decimal("2.5"), 2.5),
        (NUMBER, "7", 7),
        (WHOLE, 3.0, 3),
        (FieldSpec("d", FieldType.DATE), "2026-03-01", date(2026, 3, 1)),
        (CHOICE, "Gold", "Gold"),
        (MANY, "AI; Web;AI", ("AI", "Web")),
        (MANY, ["Web"], ("Web",)),
        (MANY, [], None),
    ],
)
def test_coerce_accepts(spec: FieldSpec, raw: Any, expected: Any) -> None:
    assert coerce(spec, raw) == expected
    assert checker(spec)(raw) == expected


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (NUMBER, "nan", "not a finite number"),
        (NUMBER, "12 apples", "not a number"),
        (WHOLE, "2.5", "not a whole number"),
        (FieldSpec("d", FieldType.DATE), "01/03/2026", "use YYYY-MM-DD"),
        (FieldSpec("d", FieldType.DATE), datetime(2026, 3, 1), "got a datetime"),
        (CHOICE, "Bronze", "not one of Gold, Silver"),
        (MANY, ["AI", 3], "expected text values"),
        (DEFAULT_SPECS["grade"], "ABCDEF", "longer than 5"),
    ],
)
def test_coerce_refuses_naming_the_field(spec: FieldSpec, raw: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        checker(spec)(raw)
    assert raised.value.item == spec.name


def test_options_can_be_skipped_for_values_from_salesforce() -> None:
    assert coerce(CHOICE, "Bronze", check_options=False) == "Bronze"


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        (FieldType.NUMBER, 42),
        (FieldType.NUMBER, 1e20),
        (FieldType.NUMBER, -0.5),
        (FieldType.DATE, date(1815, 12, 10)),
        (FieldType.CHECKBOX, True),
        (FieldType.CHECKBOX, False),
        (FieldType.MULTISELECT, ("AI", "Web")),
        (FieldType.TEXT, "o'brien; DROP"),
    ],
)
def test_text_round_trip(field_type: FieldType, value: Any) -> None:
    text = to_text(value)
    assert text is not None
    assert from_text(field_type, text) == value


def test_snapshot_and_table_cover_every_default_field() -> None:
    snapshot = {f.name for f in fields(Prospect)}
    columns = set(ProspectRow.__table__.columns.keys())
    assert snapshot >= DEFAULT_FIELD_NAMES
    assert DEFAULT_FIELD_NAMES - {"marketing_campaign"} <= columns
    assert snapshot - {"marketing_campaign", "custom"} <= columns
