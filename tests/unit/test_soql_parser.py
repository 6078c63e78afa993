"""The SOQL lexer and parser: the AST they build and the errors they raise."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.soql import parse, parse_condition
from leadbridge.sandbox.soql.ast import (
    And,
    BoolLit,
    Comparison,
    CountOf,
    DateKeyword,
    DateLit,
    DateTimeLit,
    FieldPath,
    InList,
    Not,
    NullLit,
    NumberLit,
    Or,
    SemiJoin,
    StringLit,
    Value,
)


def _where(condition: str) -> object:
    query = parse(f"SELECT Id FROM Lead WHERE {condition}")
    return query.where


def _value(literal: str) -> Value:
    where = _where(f"Name = {literal}")
    assert isinstance(where, Comparison)
    return where.value


def _error(source: str) -> SalesforceError:
    with pytest.raises(SalesforceError) as caught:
        parse(source)
    return caught.value


# -- statements --------------------------------------------------------------------------


def test_select_list_with_paths_and_clauses() -> None:
    query = parse(
        "select Id, owner.Email, ConvertedContact.Account.Name from lead "
        "where Email = 'a@b.c' order by Name desc nulls first, Id limit 10 offset 20"
    )
    assert [item.parts for item in query.fields if isinstance(item, FieldPath)] == [
        ("Id",),
        ("owner", "Email"),
        ("ConvertedContact", "Account", "Name"),
    ]
    assert query.object_name == "lead"
    assert not query.count_all
    assert query.limit == 10
    assert query.offset == 20
    first, second = query.order_by
    assert (first.path.parts, first.descending, first.nulls_first) == (("Name",), True, True)
    assert (second.path.parts, second.descending, second.nulls_first) == (("Id",), False, None)


def test_count_all_and_count_of_field() -> None:
    assert parse("SELECT COUNT() FROM Lead").count_all
    assert parse("select count ( ) from Lead").count_all
    query = parse("SELECT COUNT(Email) FROM Lead")
    (item,) = query.fields
    assert isinstance(item, CountOf)
    assert item.path.parts == ("Email",)


def test_field_named_count_is_a_field() -> None:
    (item,) = parse("SELECT Count FROM Lead").fields
    assert isinstance(item, FieldPath)


def test_positions_point_into_the_statement() -> None:
    query = parse("SELECT Id, Email FROM Lead")
    assert [item.pos for item in query.fields] == [7, 11]
    assert query.object_pos == 22


def test_object_alias() -> None:
    query = parse("SELECT l.Id FROM Lead l WHERE l.Email = null")
    assert query.alias == "l"
    assert parse("SELECT Id FROM Lead WHERE Id = null").alias is None


# -- conditions --------------------------------------------------------------------------


def test_and_or_not_and_parentheses() -> None:
    where = _where("NOT Status = 'Open' AND (City = 'Paris' OR City = 'Lyon')")
    assert isinstance(where, And)
    negated, either = where.operands
    assert isinstance(negated, Not)
    assert isinstance(either, Or)
    assert len(either.operands) == 2


def test_runs_of_the_same_operator_need_no_parentheses() -> None:
    where = _where("A = 'x' OR B = 'y' OR C = 'z'")
    assert isinstance(where, Or)
    assert len(where.operands) == 3


@pytest.mark.parametrize(
    ("condition", "column", "token"),
    [
        ("A = 'x' AND B = 'y' OR C = 'z'", 47, "OR"),
        ("A = 'x' OR B = 'y' AND C = 'z'", 46, "AND"),
    ],
)
def test_mixing_and_or_without_parentheses_is_malformed(
    condition: str, column: int, token: str
) -> None:
    error = _error(f"SELECT Id FROM Lead WHERE {condition}")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith(f"ERROR at Row:1:Column:{column}\nunexpected token: '{token}'")


def test_operators() -> None:
    for op in ("=", "!=", "<", "<=", ">", ">="):
        where = _where(f"NumberOfEmployees {op} 5")
        assert isinstance(where, Comparison)
        assert where.op == op
    where = _where("Name <> 'x'")
    assert isinstance(where, Comparison)
    assert where.op == "!="
    like = _where("Name like 'A%'")
    assert isinstance(like, Comparison)
    assert like.op == "LIKE"


def test_in_and_not_in_lists() -> None:
    where = _where("Email IN ('a', 'b', null)")
    assert isinstance(where, InList)
    assert not where.negated
    assert [type(value) for value in where.values] == [StringLit, StringLit, NullLit]
    negated = _where("Email not in ('a')")
    assert isinstance(negated, InList)
    assert negated.negated


def test_semi_join_subquery() -> None:
    where = _where("OwnerId IN (SELECT Id FROM User WHERE IsActive = true)")
    assert isinstance(where, SemiJoin)
    assert where.query.object_name == "User"
    assert isinstance(where.query.where, Comparison)
    anti = _where("OwnerId NOT IN (SELECT Id FROM User)")
    assert isinstance(anti, SemiJoin)
    assert anti.negated


def test_parse_condition_alone() -> None:
    condition = parse_condition("Status = 'Qualified' AND Phone = null")
    assert isinstance(condition, And)
    with pytest.raises(SalesforceError):
        parse_condition("Status = 'Qualified' extra")


# -- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (r"'o\'brien@example.com'", "o'brien@example.com"),
        (r"'a\nb\Nc'", "a\nb\nc"),
        (r"'\r\R\t\T\b\B\f\F'", "\r\r\t\t\b\b\f\f"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'caf\u00e9'", "café"),
        (r"'100\%'", "100\\%"),
        ("''", ""),
    ],
)
def test_string_escapes(literal: str, expected: str) -> None:
    value = _value(literal)
    assert isinstance(value, StringLit)
    assert value.value == expected


def test_like_pattern_keeps_wildcards_and_escapes() -> None:
    value = _value(r"'50\%\_off_%\\'")
    assert isinstance(value, StringLit)
    assert value.like_pattern == "50\\%\\_off_%\\\\"


@pytest.mark.parametrize("literal", [r"'a\d'", r"'a\x41'", r"'\u12'", r"'\ '"])
def test_other_backslashes_are_errors(literal: str) -> None:
    error = _error(f"SELECT Id FROM Lead WHERE Name = {literal}")
    assert error.error_code == "MALFORMED_QUERY"
    assert "Illegal character sequence" in error.message
    assert "ERROR at Row:1:Column:34" in error.message


def test_double_quoted_strings_are_errors() -> None:
    error = _error('SELECT Id FROM Lead WHERE Name = "Acme"')
    assert error.error_code == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:34" in error.message


def test_unterminated_string() -> None:
    error = _error("SELECT Id FROM Lead WHERE Name = 'Acme")
    assert error.error_code == "MALFORMED_QUERY"
    assert "expecting '''" in error.message


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("42", 42), ("-7", -7), ("3.25", 3.25), ("-0.5", -0.5), ("+8", 8)],
)
def test_numbers(literal: str, expected: float) -> None:
    value = _value(literal)
    assert isinstance(value, NumberLit)
    assert value.value == expected
    assert type(value.value) is type(expected)


def test_booleans_and_null_are_case_insensitive() -> None:
    assert _value("TRUE") == BoolLit(True, 33)
    assert _value("False") == BoolLit(False, 33)
    assert isinstance(_value("NULL"), NullLit)
    assert isinstance(_value("null"), NullLit)


def test_date_literal() -> None:
    value = _value("2024-01-31")
    assert isinstance(value, DateLit)
    assert value.value == date(2024, 1, 31)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2024-01-31T10:00:00Z", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("2024-01-31T10:00:00+05:30", datetime(2024, 1, 31, 4, 30, tzinfo=UTC)),
        ("2024-01-31T10:00:00-0800", datetime(2024, 1, 31, 18, tzinfo=UTC)),
        ("2024-01-31T10:00:00.250Z", datetime(2024, 1, 31, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2024-01-31T10:00:00.1234567+00:00", datetime(2024, 1, 31, 10, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_datetime_literals(literal: str, expected: datetime) -> None:
    value = _value(literal)
    assert isinstance(value, DateTimeLit)
    assert value.value == expected
    assert value.value.utcoffset() is not None


def test_datetime_keeps_its_offset() -> None:
    value = _value("2024-01-31T10:00:00+05:30")
    assert isinstance(value, DateTimeLit)
    assert value.value.tzinfo == timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize("literal", ["2024-02-30", "2024-01-31T10:00:00", "2024-01-31T25:00:00Z"])
def test_bad_dates_are_malformed(literal: str) -> None:
    error = _error(f"SELECT Id FROM Lead WHERE CreatedDate = {literal}")
    assert error.error_code == "MALFORMED_QUERY"
    assert f"unexpected token: '{literal}'" in error.message


def test_date_keywords() -> None:
    assert _value("today") == DateKeyword("TODAY", None, 33)
    assert _value("LAST_N_DAYS:30") == DateKeyword("LAST_N_DAYS", 30, 33)
    assert _value("next_n_weeks:2") == DateKeyword("NEXT_N_WEEKS", 2, 33)
    assert _value("THIS_QUARTER") == DateKeyword("THIS_QUARTER", None, 33)


@pytest.mark.parametrize("literal", ["LAST_N_DAYS", "LAST_N_DAYS:", "LAST_N_DAYS:-1", "TODAY:3"])
def test_date_keyword_arguments(literal: str) -> None:
    assert _error(f"SELECT Id FROM Lead WHERE CreatedDate = {literal}").error_code == (
        "MALFORMED_QUERY"
    )


def test_unknown_word_as_value_is_malformed() -> None:
    error = _error("SELECT Id FROM Lead WHERE CreatedDate = SOMEDAY")
    assert error.message.endswith("unexpected token: 'SOMEDAY'")


# -- errors and limits -------------------------------------------------------------------


def test_unexpected_token_message_has_snippet_caret_row_and_column() -> None:
    error = _error("SELECT Id FRM Lead")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == (
        "\nSELECT Id FRM Lead\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"
    )


def test_error_rows_and_columns_count_lines() -> None:
    error = _error("SELECT Id\nFROM Lead\nWHERE Name = 'x' Name")
    assert error.message == (
        "\nWHERE Name = 'x' Name\n                 ^\nERROR at Row:3:Column:18\n"
        "unexpected token: 'Name'"
    )


def test_long_statements_show_a_window_of_the_line() -> None:
    padding = ", ".join(f"Field{index}" for index in range(30))
    error = _error(f"SELECT {padding} FRM Lead")
    first_line = error.message.split("\n")[1]
    caret_line = error.message.split("\n")[2]
    assert len(first_line) < 100
    assert first_line[len(caret_line) - 1 : len(caret_line) + 2] == "FRM"


def test_unexpected_end_of_statement() -> None:
    error = _error("SELECT Id FROM")
    assert error.message.endswith("ERROR at Row:1:Column:15\nunexpected token: '<EOF>'")


@pytest.mark.parametrize(
    "source",
    [
        "SELECT FROM Lead",
        "SELECT Id, FROM Lead",
        "SELECT Id FROM Lead WHERE",
        "SELECT Id FROM Lead WHERE Name",
        "SELECT Id FROM Lead WHERE Name = 'x' AND",
        "SELECT Id FROM Lead WHERE (Name = 'x'",
        "SELECT Id FROM Lead WHERE Email IN ()",
        "SELECT Id FROM Lead ORDER Name",
        "SELECT Id FROM Lead ORDER BY Name NULLS",
        "SELECT Id FROM Lead LIMIT x",
        "SELECT Id FROM Lead LIMIT -1",
        "SELECT Id FROM Lead LIMIT 1.5",
        "SELECT Id FROM Lead OFFSET 5 LIMIT 5",
        "SELECT Id FROM Lead GROUP BY Name",
        "SELECT Id FROM Lead WHERE Name = 'x' ;",
        "UPDATE Lead",
    ],
)
def test_malformed_statements(source: str) -> None:
    error = _error(source)
    assert error.error_code == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:" in error.message


def test_offset_above_2000() -> None:
    assert parse("SELECT Id FROM Lead OFFSET 2000").offset == 2000
    error = _error("SELECT Id FROM Lead LIMIT 10 OFFSET 2001")
    assert error.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert error.message == "Maximum SOQL offset allowed is 2000"


def test_statement_longer_than_100000_characters() -> None:
    base = "SELECT Id FROM Lead WHERE Email IN ("
    values = ", ".join(["'someone@example.com'"] * 4500)
    source = f"{base}{values})"
    assert len(source) > 100_000
    error = _error(source)
    assert error.error_code == "MALFORMED_QUERY"
    assert "100,000" in error.message


def test_string_literal_longer_than_4000_characters() -> None:
    assert parse(f"SELECT Id FROM Lead WHERE Name = '{'x' * 4000}'").where is not None
    error = _error(f"SELECT Id FROM Lead WHERE Name = '{'x' * 4001}'")
    assert error.error_code == "MALFORMED_QUERY"
    assert "4000" in error.message
