"""Automation criteria: which prospects a rule applies to, decided without any I/O.

A criterion compares one prospect field with a value: a default or custom field by name, or
one of the pseudo fields `assigned` (has an assigned user), `in_crm` (linked to a Salesforce
lead or contact) and `email_domain`. Criteria are checked against the prospect fields when a
rule is defined (unknown field, an operator that means nothing for the field's type, a value
of the wrong type: InputError naming the criterion), so evaluating them never fails.

Blank values (None, empty text, an empty multi-select) match `is_blank` and `not_equals`
only; every other comparison with a blank value is false. Text compares case-insensitively.
Grades compare by rank: `greater` means a better grade (A+ is the best, F the worst).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from leadbridge.domain.fields import DEFAULT_FIELDS, FieldType
from leadbridge.errors import InputError

MAX_CRITERIA = 50
GRADES = ("F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+")
_GRADE_RANK = {grade: rank for rank, grade in enumerate(GRADES)}
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
MULTISELECT_SEPARATOR = ";"


class Operator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    IS_BLANK = "is_blank"
    IS_NOT_BLANK = "is_not_blank"
    GREATER = "greater"
    LESS = "less"


# Friendlier spellings accepted on input; criteria are stored with the canonical names.
OPERATOR_ALIASES: dict[str, Operator] = {
    "is": Operator.EQUALS,
    "=": Operator.EQUALS,
    "==": Operator.EQUALS,
    "is_not": Operator.NOT_EQUALS,
    "!=": Operator.NOT_EQUALS,
    "<>": Operator.NOT_EQUALS,
    ">": Operator.GREATER,
    "greater_than": Operator.GREATER,
    "after": Operator.GREATER,
    "<": Operator.LESS,
    "less_than": Operator.LESS,
    "before": Operator.LESS,
    "blank": Operator.IS_BLANK,
    "not_blank": Operator.IS_NOT_BLANK,
}


class Match(StrEnum):
    """Whether every criterion must hold (`all`) or one is enough (`any`)."""

    ALL = "all"
    ANY = "any"


class Kind(StrEnum):
    """How a field's values compare."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    MULTI = "multiselect"
    GRADE = "grade"
    DOMAIN = "email domain"


_BLANK_OPS = frozenset({Operator.IS_BLANK, Operator.IS_NOT_BLANK})
_ORDERED = frozenset({Operator.EQUALS, Operator.NOT_EQUALS, Operator.GREATER, Operator.LESS})
OPERATORS_BY_KIND: dict[Kind, frozenset[Operator]] = {
    Kind.TEXT: frozenset(
        {Operator.EQUALS, Operator.NOT_EQUALS, Operator.CONTAINS, Operator.STARTS_WITH}
    )
    | _BLANK_OPS,
    Kind.NUMBER: _ORDERED | _BLANK_OPS,
    Kind.DATE: _ORDERED | _BLANK_OPS,
    Kind.BOOLEAN: frozenset({Operator.EQUALS, Operator.NOT_EQUALS}),
    Kind.MULTI: frozenset({Operator.EQUALS, Operator.NOT_EQUALS, Operator.CONTAINS}) | _BLANK_OPS,
    Kind.GRADE: _ORDERED | _BLANK_OPS,
    Kind.DOMAIN: frozenset({Operator.EQUALS, Operator.NOT_EQUALS}),
}
_KIND_OF_TYPE = {
    FieldType.TEXT: Kind.TEXT,
    FieldType.DROPDOWN: Kind.TEXT,
    FieldType.NUMBER: Kind.NUMBER,
    FieldType.DATE: Kind.DATE,
    FieldType.CHECKBOX: Kind.BOOLEAN,
    FieldType.MULTISELECT: Kind.MULTI,
}
# Pseudo fields: facts about a prospect that are not stored as fields.
PSEUDO_FIELDS: dict[str, Kind] = {
    "assigned": Kind.BOOLEAN,
    "in_crm": Kind.BOOLEAN,
    "email_domain": Kind.DOMAIN,
}


class ProspectView(Protocol):
    """What criteria read from a prospect (the store's Prospect snapshot has all of it)."""

    @property
    def email(self) -> str: ...

    @property
    def assigned_user_id(self) -> int | None: ...

    @property
    def crm_lead_id(self) -> str | None: ...

    @property
    def crm_contact_id(self) -> str | None: ...

    def value(self, name: str) -> Any: ...


def default_field_types() -> dict[str, FieldType]:
    """The default prospect fields' types, plus the `do_not_sync` flag."""
    return {field.name: field.type for field in DEFAULT_FIELDS} | {
        "do_not_sync": FieldType.CHECKBOX
    }


@dataclass(frozen=True)
class Condition:
    """One compiled criterion: `operand` is the comparison value in the kind's own type."""

    field: str
    op: Operator
    kind: Kind
    operand: Any
    raw: Any  # the value as stored in the rule (JSON-friendly)

    def holds(self, prospect: ProspectView) -> bool:
        actual = _actual(self.field, self.kind, prospect)
        if self.op is Operator.IS_BLANK:
            return actual is None
        if self.op is Operator.IS_NOT_BLANK:
            return actual is not None
        if actual is None:
            return self.op is Operator.NOT_EQUALS
        return _COMPARE[self.op](actual, self.operand, self.kind)

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"field": self.field, "op": str(self.op)}
        if self.op not in _BLANK_OPS:
            shown["value"] = self.raw
        return shown

    def describe(self) -> str:
        words = str(self.op).replace("_", " ")
        return f"{self.field} {words}" + ("" if self.op in _BLANK_OPS else f" {self.raw!r}")


@dataclass(frozen=True)
class Criteria:
    conditions: tuple[Condition, ...]
    match: Match = Match.ALL

    def matches(self, prospect: ProspectView) -> bool:
        results = (condition.holds(prospect) for condition in self.conditions)
        return all(results) if self.match is Match.ALL else any(results)

    def to_json(self) -> list[dict[str, Any]]:
        return [condition.to_json() for condition in self.conditions]

    def describe(self) -> str:
        joiner = " and " if self.match is Match.ALL else " or "
        return joiner.join(condition.describe() for condition in self.conditions)


def compile_criteria(
    items: Any, field_types: Mapping[str, FieldType], *, match: str | Match = Match.ALL
) -> Criteria:
    """Criteria from their JSON form, a list of `{"field", "op", "value"}` objects.

    `field_types` are the prospect fields that exist now (defaults and custom ones).
    """
    if not isinstance(items, list) or not items:
        raise InputError("give a list of one or more criteria", item="criteria")
    if len(items) > MAX_CRITERIA:
        raise InputError(f"at most {MAX_CRITERIA} criteria", item="criteria")
    conditions = tuple(
        compile_condition(item, field_types, item_name=f"criteria[{index}]")
        for index, item in enumerate(items)
    )
    return Criteria(conditions, parse_match(match))


def parse_match(raw: str | Match) -> Match:
    try:
        return Match(str(raw).strip().lower())
    except ValueError:
        raise InputError(f"{raw!r} is not 'all' or 'any'", item="match") from None


def compile_condition(
    item: Any, field_types: Mapping[str, FieldType], *, item_name: str = "criterion"
) -> Condition:
    if not isinstance(item, Mapping):
        raise InputError(
            'expected an object like {"field": …, "op": …, "value": …}', item=item_name
        )
    unknown = set(item) - {"field", "op", "value"}
    if unknown:
        raise InputError(f"unknown keys {', '.join(sorted(unknown))}", item=item_name)
    field = str(item.get("field") or "").strip().lower()
    kind = _kind(field, field_types, item_name)
    op = parse_operator(item.get("op"), item_name=item_name)
    if op not in OPERATORS_BY_KIND[kind]:
        allowed = ", ".join(sorted(OPERATORS_BY_KIND[kind]))
        raise InputError(
            f"{op} does not apply to {field} (a {kind} field): use one of {allowed}",
            item=f"{item_name}.op",
        )
    if op in _BLANK_OPS:
        return Condition(field, op, kind, None, None)
    try:
        operand, raw = _OPERANDS[kind](item.get("value"), op)
    except (TypeError, ValueError) as error:
        raise InputError(str(error), item=f"{item_name}.value") from None
    return Condition(field, op, kind, operand, raw)


def parse_operator(raw: Any, *, item_name: str = "criterion") -> Operator:
    text = re.sub(r"[\s-]+", "_", str(raw or "").strip().lower())
    if text in OPERATOR_ALIASES:
        return OPERATOR_ALIASES[text]
    try:
        return Operator(text)
    except ValueError:
        known = ", ".join(list(Operator) + list(OPERATOR_ALIASES))
        raise InputError(
            f"unknown operator {raw!r} (use {known})", item=f"{item_name}.op"
        ) from None


def parse_when(text: str) -> dict[str, Any]:
    """`FIELD OP [VALUE]` (the CLI's `--when`) as a criterion's JSON form."""
    parts = text.strip().split(maxsplit=2)
    if len(parts) < 2:
        raise InputError("use FIELD OP [VALUE], e.g. 'country equals France'", item="--when")
    criterion: dict[str, Any] = {"field": parts[0], "op": parts[1]}
    if len(parts) == 3:
        criterion["value"] = parts[2].strip().strip("\"'")
    return criterion


def kind_of(field: str, field_types: Mapping[str, FieldType]) -> Kind | None:
    """How `field` compares (None when there is no such field): what a form offers for it."""
    try:
        return _kind(field, field_types, "criterion")
    except InputError:
        return None


def _kind(field: str, field_types: Mapping[str, FieldType], item_name: str) -> Kind:
    if not field:
        raise InputError("name the prospect field to compare", item=f"{item_name}.field")
    if field in PSEUDO_FIELDS:
        return PSEUDO_FIELDS[field]
    if field == "grade":
        return Kind.GRADE
    field_type = field_types.get(field)
    if field_type is None:
        raise InputError(f"no prospect field named {field!r}", item=f"{item_name}.field")
    return _KIND_OF_TYPE[field_type]


# -- operands (the value a criterion compares with) ------------------------------------------


def _needs_value(raw: Any) -> None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("give a value to compare with (use is_blank for blank)")


def _text_operand(raw: Any, _op: Operator) -> tuple[str, str]:
    _needs_value(raw)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise TypeError(f"expected text, got {type(raw).__name__}")
    text = str(raw).strip()
    return text.casefold(), text


def _number_operand(raw: Any, _op: Operator) -> tuple[float, int | float]:
    _needs_value(raw)
    if isinstance(raw, bool):
        raise TypeError("expected a number, got bool")
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip().replace(",", ""))
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    else:
        raise TypeError(f"expected a number, got {type(raw).__name__}")
    if not math.isfinite(number):
        raise ValueError(f"{raw!r} is not a finite number")
    return number, int(number) if number.is_integer() else number


def _date_operand(raw: Any, _op: Operator) -> tuple[date, str]:
    _needs_value(raw)
    if not isinstance(raw, str):
        raise TypeError(f"expected a date (YYYY-MM-DD), got {type(raw).__name__}")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not a date (use YYYY-MM-DD)") from None
    return day, day.isoformat()


def _boolean_operand(raw: Any, _op: Operator) -> tuple[bool, bool]:
    _needs_value(raw)
    if isinstance(raw, bool):
        return raw, raw
    word = str(raw).strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE, word in _TRUE
    raise ValueError(f"{raw!r} is not true or false")


def _multi_operand(raw: Any, op: Operator) -> tuple[Any, Any]:
    _needs_value(raw)
    if op is Operator.CONTAINS:
        return _text_operand(raw, op)
    if isinstance(raw, str):
        items: Sequence[Any] = raw.split(MULTISELECT_SEPARATOR)
    elif isinstance(raw, list):
        items = raw
    else:
        raise TypeError(f"expected a list of values, got {type(raw).__name__}")
    chosen = [str(item).strip() for item in items if str(item).strip()]
    if not chosen:
        raise ValueError("give one or more values")
    return frozenset(item.casefold() for item in chosen), chosen


def _grade_operand(raw: Any, _op: Operator) -> tuple[int, str]:
    _needs_value(raw)
    grade = str(raw).strip().upper()
    if grade not in _GRADE_RANK:
        raise ValueError(f"{raw!r} is not a grade ({', '.join(reversed(GRADES))})")
    return _GRADE_RANK[grade], grade


def _domain_operand(raw: Any, _op: Operator) -> tuple[str, str]:
    _needs_value(raw)
    domain = str(raw).strip().lower().lstrip("@")
    if not _DOMAIN.match(domain):
        raise ValueError(f"{raw!r} is not an email domain like example.com")
    return domain, domain


_OPERANDS: dict[Kind, Callable[[Any, Operator], tuple[Any, Any]]] = {
    Kind.TEXT: _text_operand,
    Kind.NUMBER: _number_operand,
    Kind.DATE: _date_operand,
    Kind.BOOLEAN: _boolean_operand,
    Kind.MULTI: _multi_operand,
    Kind.GRADE: _grade_operand,
    Kind.DOMAIN: _domain_operand,
}


# -- a prospect's value in the kind's type (None when blank) --------------------------------


def _actual(field: str, kind: Kind, prospect: ProspectView) -> Any:
    if field == "assigned":
        return prospect.assigned_user_id is not None
    if field == "in_crm":
        return bool(prospect.crm_lead_id or prospect.crm_contact_id)
    if field == "email_domain":
        return prospect.email.rpartition("@")[2].strip().lower() or None
    return _NORMALISE[kind](prospect.value(field))


def _norm_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text.casefold() or None


def _norm_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _norm_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _norm_multi(value: Any) -> frozenset[str] | None:
    if isinstance(value, str):
        value = value.split(MULTISELECT_SEPARATOR)
    if not isinstance(value, list | tuple | set | frozenset):
        return None
    chosen = frozenset(str(item).strip().casefold() for item in value if str(item).strip())
    return chosen or None


def _norm_grade(value: Any) -> str | None:
    text = str(value).strip().upper() if value is not None else ""
    return text or None


_NORMALISE: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _norm_text,
    Kind.NUMBER: _norm_number,
    Kind.DATE: _norm_date,
    Kind.BOOLEAN: bool,
    Kind.MULTI: _norm_multi,
    Kind.GRADE: _norm_grade,
    Kind.DOMAIN: _norm_text,
}


def _equals(actual: Any, operand: Any, kind: Kind) -> bool:
    if kind is Kind.GRADE:
        return bool(_GRADE_RANK.get(actual) == operand)
    return bool(actual == operand)


def _contains(actual: Any, operand: Any, kind: Kind) -> bool:
    return bool(operand in actual)  # text: substring; multi-select: one of the chosen values


def _starts_with(actual: Any, operand: Any, _kind: Kind) -> bool:
    return bool(actual.startswith(operand))


def _ordered(actual: Any, kind: Kind) -> Any:
    return _GRADE_RANK.get(actual) if kind is Kind.GRADE else actual


def _greater(actual: Any, operand: Any, kind: Kind) -> bool:
    value = _ordered(actual, kind)
    return value is not None and value > operand


def _less(actual: Any, operand: Any, kind: Kind) -> bool:
    value = _ordered(actual, kind)
    return value is not None and value < operand


_COMPARE: dict[Operator, Callable[[Any, Any, Kind], bool]] = {
    Operator.EQUALS: _equals,
    Operator.NOT_EQUALS: lambda actual, operand, kind: not _equals(actual, operand, kind),
    Operator.CONTAINS: _contains,
    Operator.STARTS_WITH: _starts_with,
    Operator.GREATER: _greater,
    Operator.LESS: _less,
}
