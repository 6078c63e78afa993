"""SOQL compiled to SQLite and run against tables laid out per the storage contract."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.ids import make_id
from leadbridge.sandbox.schema import TEXT_TYPES, FieldDef, OrgSchema, load_schema
from leadbridge.sandbox.soql import (
    CompiledQuery,
    compile_condition,
    compile_query,
    shape_csv_row,
    shape_record,
)

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)  # a Friday
SCHEMA = load_schema()
U1, U2, U_MISSING = make_id("005", 1), make_id("005", 2), make_id("005", 99)
A1 = make_id("001", 1)
C1 = make_id("003", 1)
L1, L2, L3, L4, L5 = (make_id("00Q", n) for n in range(1, 6))


# -- a tiny org ------------------------------------------------------------------------


def _column_type(field: FieldDef) -> str:
    if field.type in TEXT_TYPES:
        return "TEXT COLLATE NOCASE"
    if field.type in {"boolean", "int"}:
        return "INTEGER"
    if field.type in {"double", "currency", "percent"}:
        return "REAL"
    return "TEXT"


def create_tables(db: sqlite3.Connection, schema: OrgSchema) -> None:
    for obj in schema.objects():
        columns = ", ".join(f'"{f.name}" {_column_type(f)}' for f in obj.iter_fields())
        db.execute(f'CREATE TABLE "{obj.name}" (_rowid INTEGER PRIMARY KEY, {columns})')


def insert(db: sqlite3.Connection, object_name: str, **values: Any) -> None:
    obj = SCHEMA.object(object_name)
    assert obj is not None
    for field in obj.iter_fields():
        if field.type == "boolean":
            values.setdefault(field.name, 0)
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    db.execute(f'INSERT INTO "{obj.name}" ({names}) VALUES ({marks})', tuple(values.values()))


def _lead(db: sqlite3.Connection, record_id: str, last_name: str, **values: Any) -> None:
    insert(db, "Lead", Id=record_id, LastName=last_name, **values)


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    create_tables(connection, SCHEMA)
    insert(connection, "User", Id=U1, Email="alice@example.com", LastName="Adams", Name="Alice")
    insert(connection, "User", Id=U2, Email="bob@example.com", LastName="Brown", Name="Bob")
    insert(connection, "Account", Id=A1, Name="Acme", OwnerId=U1)
    insert(connection, "Contact", Id=C1, LastName="Brown", AccountId=A1, Email="c@example.com")
    _lead(
        connection,
        L1,
        "O'Brien",
        Company="Acme",
        Email="O'Brien@Example.com",
        Status="Open - Not Contacted",
        OwnerId=U1,
        NumberOfEmployees=10,
        AnnualRevenue=1000.5,
        HasOptedOutOfEmail=1,
        CreatedDate="2024-03-15T09:00:00.000+0000",
    )
    _lead(
        connection,
        L2,
        "Smith",
        Company="100% Organic",
        Email="bob_smith@example.com",
        Status="Qualified",
        Phone="555-0100",
        OwnerId=U2,
        NumberOfEmployees=250,
        IsConverted=1,
        ConvertedDate="2024-03-14",
        ConvertedContactId=C1,
        City="Paris",
        CreatedDate="2024-03-14T23:59:59.999+0000",
    )
    _lead(
        connection,
        L3,
        "Nobody",
        Company="Null Corp",
        Status="Working - Contacted",
        City="paris",
        CreatedDate="2024-01-31T10:00:00.000+0000",
    )
    _lead(
        connection,
        L4,
        "Gone",
        Company="Deleted Inc",
        Email="gone@example.com",
        OwnerId=U1,
        Status="Open - Not Contacted",
        IsDeleted=1,
        CreatedDate="2023-12-01T00:00:00.000+0000",
    )
    _lead(
        connection,
        L5,
        "Other",
        Company="Acme Widgets",
        Email="bobXsmith@example.com",
        Status="Open - Not Contacted",
        OwnerId=U_MISSING,
        CreatedDate="2024-03-10T08:00:00.000+0000",
    )
    yield connection
    connection.close()


def compile_(soql: str, *, include_deleted: bool = False) -> CompiledQuery:
    return compile_query(soql, SCHEMA, include_deleted=include_deleted, now=NOW)


def rows(db: sqlite3.Connection, soql: str, *, include_deleted: bool = False) -> list[Any]:
    """The visible columns of the result (hidden helper columns cut off)."""
    compiled = compile_(soql, include_deleted=include_deleted)
    width = len(compiled.columns)
    return [row[:width] for row in rows_of(db, compiled)]


def names(db: sqlite3.Connection, where: str, *, include_deleted: bool = False) -> list[str]:
    """LastNames of the leads matching `where`, in _rowid order."""
    soql = f"SELECT LastName FROM Lead WHERE {where}"
    return [row[0] for row in rows(db, soql, include_deleted=include_deleted)]


def ordered(db: sqlite3.Connection, order_by: str) -> list[str]:
    return [row[0] for row in rows(db, f"SELECT LastName FROM Lead ORDER BY {order_by}")]


def error(soql: str) -> SalesforceError:
    with pytest.raises(SalesforceError) as caught:
        compile_(soql)
    return caught.value


# -- text comparisons ------------------------------------------------------------------


def test_equality_is_case_insensitive_and_handles_escaped_apostrophes(
    db: sqlite3.Connection,
) -> None:
    assert names(db, r"Email = 'o\'brien@example.com'") == ["O'Brien"]
    assert names(db, "email = 'BOB_SMITH@EXAMPLE.COM'") == ["Smith"]


def test_in_list_is_case_insensitive(db: sqlite3.Connection) -> None:
    where = r"Email IN ('O\'BRIEN@example.com', 'Bob_Smith@Example.com', 'nobody@x.y')"
    assert names(db, where) == ["O'Brien", "Smith"]


def test_in_list_with_null(db: sqlite3.Connection) -> None:
    assert names(db, "Email IN ('bob_smith@example.com', null)") == ["Smith", "Nobody"]
    assert names(db, "Email NOT IN ('bob_smith@example.com', null)") == ["O'Brien", "Other"]


def test_not_in_matches_nulls(db: sqlite3.Connection) -> None:
    assert names(db, "Email NOT IN ('bob_smith@example.com')") == ["O'Brien", "Nobody", "Other"]


def test_like_wildcards_are_case_insensitive(db: sqlite3.Connection) -> None:
    assert names(db, "Company LIKE 'acme%'") == ["O'Brien", "Other"]
    assert names(db, "Email LIKE 'bob_smith%'") == ["Smith", "Other"]


def test_like_escapes_match_the_character_itself(db: sqlite3.Connection) -> None:
    assert names(db, r"Email LIKE 'bob\_smith%'") == ["Smith"]
    assert names(db, r"Company LIKE '100\% %'") == ["Smith"]
    assert names(db, r"Company LIKE '%\%%'") == ["Smith"]


def test_not_equal_matches_nulls(db: sqlite3.Connection) -> None:
    assert names(db, "City != 'PARIS'") == ["O'Brien", "Other"]
    assert names(db, "City <> 'Paris'") == ["O'Brien", "Other"]


def test_null_comparisons(db: sqlite3.Connection) -> None:
    assert names(db, "City = null") == ["O'Brien", "Other"]
    assert names(db, "City != NULL") == ["Smith", "Nobody"]


def test_empty_string_means_null(db: sqlite3.Connection) -> None:
    assert names(db, "City = ''") == ["O'Brien", "Other"]
    assert names(db, "City != ''") == ["Smith", "Nobody"]


def test_ids_accept_15_characters_and_any_case(db: sqlite3.Connection) -> None:
    assert names(db, f"Id = '{L2[:15]}'") == ["Smith"]
    assert names(db, f"Id = '{L2.lower()}'") == ["Smith"]
    assert names(db, f"OwnerId IN ('{U1[:15]}', '{U2}')") == ["O'Brien", "Smith"]


# -- logic -----------------------------------------------------------------------------


def test_not_uses_two_valued_logic(db: sqlite3.Connection) -> None:
    assert names(db, "NOT City = 'Paris'") == ["O'Brien", "Other"]
    assert names(db, "NOT (NumberOfEmployees > 100)") == ["O'Brien", "Nobody", "Other"]
    assert names(db, "NOT (City = 'Paris' OR Email LIKE 'o%')") == ["Other"]
    assert names(db, "NOT (NOT (City = 'Paris'))") == ["Smith", "Nobody"]


def test_and_or_and_parentheses(db: sqlite3.Connection) -> None:
    where = "(Status = 'Qualified' OR Status = 'Open - Not Contacted') AND Company LIKE 'A%'"
    assert names(db, where) == ["O'Brien", "Other"]
    where = "Status = 'Qualified' OR (Company LIKE 'A%' AND NumberOfEmployees = 10)"
    assert names(db, where) == ["O'Brien", "Smith"]
    assert names(db, "City = 'paris' AND Phone != null AND IsConverted = true") == ["Smith"]


# -- booleans and numbers --------------------------------------------------------------


def test_booleans(db: sqlite3.Connection) -> None:
    assert names(db, "HasOptedOutOfEmail = TRUE") == ["O'Brien"]
    assert names(db, "IsConverted = false") == ["O'Brien", "Nobody", "Other"]
    assert names(db, "IsConverted != false") == ["Smith"]


def test_numbers(db: sqlite3.Connection) -> None:
    assert names(db, "NumberOfEmployees > 50") == ["Smith"]
    assert names(db, "NumberOfEmployees <= 10") == ["O'Brien"]
    assert names(db, "NumberOfEmployees >= -5") == ["O'Brien", "Smith"]
    assert names(db, "AnnualRevenue = 1000.5") == ["O'Brien"]
    assert names(db, "AnnualRevenue < 1000") == []


# -- dates -----------------------------------------------------------------------------


def test_date_literal_on_date_field(db: sqlite3.Connection) -> None:
    assert names(db, "ConvertedDate = 2024-03-14") == ["Smith"]
    assert names(db, "ConvertedDate > 2024-03-14") == []
    assert names(db, "ConvertedDate >= 2024-01-01") == ["Smith"]


def test_datetime_literals_are_normalised_to_utc(db: sqlite3.Connection) -> None:
    assert names(db, "CreatedDate > 2024-03-15T08:00:00Z") == ["O'Brien"]
    assert names(db, "CreatedDate = 2024-03-15T09:00:00.000Z") == ["O'Brien"]
    assert names(db, "CreatedDate = 2024-03-15T01:00:00-0800") == ["O'Brien"]
    assert names(db, "CreatedDate < 2024-03-15T01:00:00+02:00") == ["Nobody", "Other"]


def test_plain_date_on_a_datetime_field_is_refused(db: sqlite3.Connection) -> None:
    with pytest.raises(SalesforceError) as error:
        names(db, "CreatedDate = 2024-03-14")
    assert error.value.error_code == "INVALID_FIELD"
    assert "must be of type dateTime" in error.value.message
    assert names(
        db, "CreatedDate >= 2024-03-14T00:00:00Z AND CreatedDate < 2024-03-15T00:00:00Z"
    ) == ["Smith"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CreatedDate = TODAY", ["O'Brien"]),
        ("CreatedDate = YESTERDAY", ["Smith"]),
        ("CreatedDate = THIS_WEEK", ["O'Brien", "Smith", "Other"]),
        ("CreatedDate = LAST_N_DAYS:1", ["O'Brien", "Smith"]),
        ("CreatedDate = N_DAYS_AGO:1", ["Smith"]),
        ("CreatedDate = THIS_MONTH", ["O'Brien", "Smith", "Other"]),
        ("CreatedDate < THIS_MONTH", ["Nobody"]),
        ("CreatedDate >= THIS_WEEK", ["O'Brien", "Smith", "Other"]),
        ("CreatedDate > YESTERDAY", ["O'Brien"]),
        ("CreatedDate <= YESTERDAY", ["Smith", "Nobody", "Other"]),
        ("CreatedDate != TODAY", ["Smith", "Nobody", "Other"]),
        ("CreatedDate = LAST_90_DAYS", ["O'Brien", "Smith", "Nobody", "Other"]),
        ("CreatedDate = LAST_YEAR", []),
        ("CreatedDate = NEXT_N_DAYS:30", []),
        ("ConvertedDate = YESTERDAY", ["Smith"]),
        ("ConvertedDate < TODAY", ["Smith"]),
        ("CreatedDate IN (TODAY, YESTERDAY)", ["O'Brien", "Smith"]),
        ("NOT CreatedDate = THIS_WEEK", ["Nobody"]),
    ],
)
def test_date_keywords(db: sqlite3.Connection, where: str, expected: list[str]) -> None:
    assert names(db, where) == expected


# -- ORDER BY, LIMIT, OFFSET, COUNT() ----------------------------------------------------


def test_order_by_defaults_put_nulls_first_ascending_and_last_descending(
    db: sqlite3.Connection,
) -> None:
    assert ordered(db, "City") == ["O'Brien", "Other", "Smith", "Nobody"]
    assert ordered(db, "City DESC") == ["Smith", "Nobody", "O'Brien", "Other"]


def test_order_by_explicit_nulls(db: sqlite3.Connection) -> None:
    assert ordered(db, "City ASC NULLS LAST") == ["Smith", "Nobody", "O'Brien", "Other"]
    assert ordered(db, "City DESC NULLS FIRST") == ["O'Brien", "Other", "Smith", "Nobody"]


def test_order_by_several_items_and_case_insensitive_text(db: sqlite3.Connection) -> None:
    assert ordered(db, "NumberOfEmployees DESC, LastName") == [
        "Smith",
        "O'Brien",
        "Nobody",
        "Other",
    ]
    assert ordered(db, "Email") == ["Nobody", "Smith", "Other", "O'Brien"]


def test_order_by_parent_field(db: sqlite3.Connection) -> None:
    assert ordered(db, "Owner.Name DESC NULLS LAST") == ["Smith", "O'Brien", "Nobody", "Other"]


def test_order_sql_always_ends_with_the_rowid() -> None:
    assert compile_("SELECT Id FROM Lead").order_sql == 't0."_rowid"'
    compiled = compile_("SELECT Id FROM Lead ORDER BY Name")
    assert compiled.has_order_by
    assert compiled.order_sql == 't0."Name" ASC NULLS FIRST, t0."_rowid"'


def test_limit_and_offset(db: sqlite3.Connection) -> None:
    soql = "SELECT LastName FROM Lead ORDER BY LastName LIMIT 2 OFFSET 1"
    assert rows(db, soql) == [("O'Brien",), ("Other",)]
    compiled = compile_(soql)
    assert (compiled.limit, compiled.offset) == (2, 1)


def test_sql_pages_within_the_statement_limit_and_offset(db: sqlite3.Connection) -> None:
    compiled = compile_("SELECT LastName FROM Lead ORDER BY LastName LIMIT 3 OFFSET 1")

    def page(limit: int | None = None, offset: int = 0) -> list[str]:
        sql, params = compiled.sql(limit, offset)
        return [row[0] for row in db.execute(sql, params)]

    assert page() == ["O'Brien", "Other", "Smith"]
    assert page(2) == ["O'Brien", "Other"]
    assert page(2, 2) == ["Smith"]
    assert page(2, 4) == []
    unlimited = compile_("SELECT LastName FROM Lead ORDER BY LastName")
    sql, params = unlimited.sql(2, 3)
    assert sql.endswith("LIMIT ? OFFSET ?")
    assert params[-2:] == (2, 3)
    assert "LIMIT" not in unlimited.sql()[0]


def test_extra_where_is_anded(db: sqlite3.Connection) -> None:
    compiled = compile_("SELECT LastName FROM Lead WHERE City = null OR City = 'paris'")
    sql, params = compiled.sql(extra_where=f'{compiled.base_alias}."_rowid" > ?', extra_params=[1])
    assert [row[0] for row in db.execute(sql, params)] == ["Smith", "Nobody", "Other"]


def test_count_all(db: sqlite3.Connection) -> None:
    compiled = compile_("SELECT COUNT() FROM Lead WHERE City = null")
    assert compiled.is_count
    assert compiled.columns == ()
    sql, params = compiled.count_sql()
    assert db.execute(sql, params).fetchone() == (2,)


def test_count_sql_honours_limit_and_offset(db: sqlite3.Connection) -> None:
    sql, params = compile_("SELECT Id FROM Lead LIMIT 3 OFFSET 2").count_sql()
    assert db.execute(sql, params).fetchone() == (2,)
    sql, params = compile_("SELECT COUNT() FROM Lead LIMIT 1").count_sql()
    assert db.execute(sql, params).fetchone() == (1,)


def test_count_of_field_is_an_aggregate_result(db: sqlite3.Connection) -> None:
    compiled = compile_("SELECT COUNT(Email), COUNT(Id) FROM Lead")
    assert compiled.is_aggregate
    assert compiled.columns == ("expr0", "expr1")
    sql, params = compiled.sql()
    (row,) = db.execute(sql, params).fetchall()
    assert shape_record(compiled, row, "59.0") == {
        "attributes": {"type": "AggregateResult"},
        "expr0": 3,
        "expr1": 4,
    }
    sql, params = compiled.count_sql()
    assert db.execute(sql, params).fetchone() == (1,)


# -- query vs queryAll -----------------------------------------------------------------


def test_query_hides_deleted_rows_and_query_all_shows_them(db: sqlite3.Connection) -> None:
    assert "Gone" not in names(db, "Company LIKE '%'")
    assert "Gone" in names(db, "Company LIKE '%'", include_deleted=True)
    assert names(db, "IsDeleted = true") == []
    assert names(db, "IsDeleted = true", include_deleted=True) == ["Gone"]
    assert names(db, "CreatedDate = LAST_YEAR", include_deleted=True) == ["Gone"]


def test_where_sql_without_conditions() -> None:
    assert compile_("SELECT Id FROM Lead", include_deleted=True).where_sql == "1"
    assert compile_("SELECT Id FROM Lead").where_sql == 't0."IsDeleted" = 0'


# -- parent relationships and record shapes --------------------------------------------


def test_parent_fields_with_null_and_dangling_parents(db: sqlite3.Connection) -> None:
    compiled = compile_("SELECT LastName, Owner.Email FROM Lead ORDER BY LastName")
    records = [shape_record(compiled, row, "59.0") for row in rows_of(db, compiled)]
    owners = {record["LastName"]: record["Owner"] for record in records}
    assert owners["O'Brien"] == {
        "attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{U1}"},
        "Email": "alice@example.com",
    }
    assert owners["Nobody"] is None
    assert owners["Other"] is None


def test_filter_on_parent_field(db: sqlite3.Connection) -> None:
    assert names(db, "Owner.Email = 'ALICE@example.com'") == ["O'Brien"]
    assert names(db, "Owner.Email = null") == ["Nobody", "Other"]
    assert names(db, "ConvertedContact.Account.Owner.Name = 'alice'") == ["Smith"]


def test_record_shape_nests_parents_in_select_order(db: sqlite3.Connection) -> None:
    compiled = compile_(
        "SELECT convertedcontact.account.owner.name, id, Owner.Email, owner.id, IsConverted, "
        f"NumberOfEmployees, AnnualRevenue FROM lead WHERE Id = '{L2}'"
    )
    assert compiled.object_name == "Lead"
    assert compiled.columns == (
        "ConvertedContact.Account.Owner.Name",
        "Id",
        "Owner.Email",
        "Owner.Id",
        "IsConverted",
        "NumberOfEmployees",
        "AnnualRevenue",
    )
    (row,) = rows_of(db, compiled)
    record = shape_record(compiled, row, "v59.0")
    base = "/services/data/v59.0/sobjects"
    assert record == {
        "attributes": {"type": "Lead", "url": f"{base}/Lead/{L2}"},
        "ConvertedContact": {
            "attributes": {"type": "Contact", "url": f"{base}/Contact/{C1}"},
            "Account": {
                "attributes": {"type": "Account", "url": f"{base}/Account/{A1}"},
                "Owner": {
                    "attributes": {"type": "User", "url": f"{base}/User/{U1}"},
                    "Name": "Alice",
                },
            },
        },
        "Id": L2,
        "Owner": {
            "attributes": {"type": "User", "url": f"{base}/User/{U2}"},
            "Email": "bob@example.com",
            "Id": U2,
        },
        "IsConverted": True,
        "NumberOfEmployees": 250,
        "AnnualRevenue": None,
    }
    assert list(record) == [
        "attributes",
        "ConvertedContact",
        "Id",
        "Owner",
        "IsConverted",
        "NumberOfEmployees",
        "AnnualRevenue",
    ]


def test_record_without_selected_id_still_has_its_url(db: sqlite3.Connection) -> None:
    compiled = compile_(f"SELECT Email FROM Lead WHERE Id = '{L1}'")
    (row,) = rows_of(db, compiled)
    assert shape_record(compiled, row, "59.0") == {
        "attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{L1}"},
        "Email": "O'Brien@Example.com",
    }


def test_decoded_types(db: sqlite3.Connection) -> None:
    compiled = compile_(
        "SELECT HasOptedOutOfEmail, NumberOfEmployees, AnnualRevenue, CreatedDate FROM Lead "
        f"WHERE Id = '{L1}'"
    )
    (row,) = rows_of(db, compiled)
    record = shape_record(compiled, row, "59.0")
    assert record["HasOptedOutOfEmail"] is True
    assert record["NumberOfEmployees"] == 10
    assert isinstance(record["NumberOfEmployees"], int)
    assert record["AnnualRevenue"] == 1000.5
    assert record["CreatedDate"] == "2024-03-15T09:00:00.000+0000"


def test_csv_rows(db: sqlite3.Connection) -> None:
    compiled = compile_(
        "SELECT Id, Owner.Email, IsConverted, NumberOfEmployees, AnnualRevenue, City FROM Lead "
        "ORDER BY LastName"
    )
    assert compiled.columns == (
        "Id",
        "Owner.Email",
        "IsConverted",
        "NumberOfEmployees",
        "AnnualRevenue",
        "City",
    )
    csv_rows = [shape_csv_row(compiled, row) for row in rows_of(db, compiled)]
    assert csv_rows == [
        [L3, "", "false", "", "", "paris"],
        [L1, "alice@example.com", "false", "10", "1000.5", ""],
        [L5, "", "false", "", "", ""],
        [L2, "bob@example.com", "true", "250", "", "Paris"],
    ]


def test_object_name_prefix_and_alias_are_accepted(db: sqlite3.Connection) -> None:
    assert rows(db, f"SELECT Lead.LastName FROM Lead WHERE Lead.Id = '{L1}'") == [("O'Brien",)]
    assert rows(db, f"SELECT l.LastName FROM Lead l WHERE l.Id = '{L1}'") == [("O'Brien",)]


def test_custom_object_and_custom_relationship(db: sqlite3.Connection) -> None:
    insert(
        db,
        "Subscription__c",
        Id=make_id("a01", 1),
        Name="Pro plan",
        Contact__c=C1,
        Plan__c="Pro",
        Seats__c=5,
        Active__c=1,
    )
    soql = "SELECT Name, Contact__r.Email FROM subscription__c WHERE active__c = true"
    assert rows(db, soql) == [("Pro plan", "c@example.com")]


# -- semi-joins ------------------------------------------------------------------------


def test_semi_join(db: sqlite3.Connection) -> None:
    soql = "SELECT Name FROM User WHERE Id IN (SELECT OwnerId FROM Lead WHERE Status = 'Qualified')"
    assert rows(db, soql) == [("Bob",)]
    soql = "SELECT LastName FROM Contact WHERE Id IN (SELECT ConvertedContactId FROM Lead)"
    assert rows(db, soql) == [("Brown",)]


def test_anti_join_ignores_null_keys(db: sqlite3.Connection) -> None:
    soql = "SELECT Name FROM User WHERE Id NOT IN (SELECT OwnerId FROM Lead WHERE City = null)"
    assert rows(db, soql) == [("Bob",)]


def test_semi_join_respects_query_all(db: sqlite3.Connection) -> None:
    soql = "SELECT Name FROM User WHERE Id IN (SELECT OwnerId FROM Lead WHERE LastName = 'Gone')"
    assert rows(db, soql) == []
    assert rows(db, soql, include_deleted=True) == [("Alice",)]


def test_semi_join_restrictions() -> None:
    nested = (
        "SELECT Id FROM User WHERE Id IN (SELECT OwnerId FROM Lead WHERE ConvertedContactId IN "
        "(SELECT Id FROM Contact))"
    )
    assert "Nesting of semi join" in error(nested).message
    same = "SELECT Id FROM Lead WHERE Id IN (SELECT Id FROM Lead)"
    assert "same object type" in error(same).message
    two = "SELECT Id FROM User WHERE Id IN (SELECT OwnerId, Id FROM Lead)"
    assert error(two).error_code == "MALFORMED_QUERY"
    assert error("SELECT Id FROM User WHERE Id IN (SELECT Id FROM Nope)").error_code == (
        "INVALID_TYPE"
    )


# -- compile_condition -----------------------------------------------------------------


def _matching(db: sqlite3.Connection, condition: str) -> list[str]:
    lead = SCHEMA.object("Lead")
    assert lead is not None
    sql, params = compile_condition(condition, lead, SCHEMA, alias="r", now=NOW)
    query = f'SELECT r.LastName FROM "Lead" AS r WHERE r.IsDeleted = 0 AND ({sql}) ORDER BY 1'
    return [row[0] for row in db.execute(query, params)]


def test_compile_condition_for_validation_rules(db: sqlite3.Connection) -> None:
    assert _matching(db, "Status = 'Qualified' AND Phone = null") == []
    assert _matching(db, "Status = 'Qualified' AND Phone != null") == ["Smith"]
    assert _matching(db, "CreatedDate = TODAY OR City = 'PARIS'") == ["Nobody", "O'Brien", "Smith"]


def test_compile_condition_reads_parent_fields(db: sqlite3.Connection) -> None:
    assert _matching(db, "Owner.Email = 'alice@example.com'") == ["O'Brien"]
    assert _matching(db, "ConvertedContact.Account.Owner.Name = 'Alice'") == ["Smith"]
    assert _matching(db, "NOT Owner.Email LIKE 'alice%'") == ["Nobody", "Other", "Smith"]


def test_compile_condition_errors() -> None:
    lead = SCHEMA.object("Lead")
    assert lead is not None
    with pytest.raises(SalesforceError) as caught:
        compile_condition("Nope = 1", lead, SCHEMA, alias="r", now=NOW)
    assert caught.value.error_code == "INVALID_FIELD"


# -- errors ----------------------------------------------------------------------------


def test_unknown_object() -> None:
    failure = error("SELECT Id FROM Leed")
    assert failure.error_code == "INVALID_TYPE"
    assert failure.message == (
        "\nSELECT Id FROM Leed\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Leed' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


@pytest.mark.parametrize(
    ("soql", "column", "name", "entity"),
    [
        ("SELECT Id, Emial FROM Lead", 12, "Emial", "Lead"),
        ("SELECT Id FROM Lead WHERE Foo__c = 'x'", 27, "Foo__c", "Lead"),
        ("SELECT Id FROM Lead ORDER BY Bogus", 30, "Bogus", "Lead"),
        ("SELECT Owner.Phone2 FROM Lead", 8, "Phone2", "User"),
    ],
)
def test_unknown_field(soql: str, column: int, name: str, entity: str) -> None:
    failure = error(soql)
    assert failure.error_code == "INVALID_FIELD"
    assert f"ERROR at Row:1:Column:{column}\nNo such column '{name}' on entity '{entity}'." in (
        failure.message
    )


def test_unknown_relationship() -> None:
    failure = error("SELECT Id, Ownr.Email FROM Lead")
    assert failure.error_code == "INVALID_FIELD"
    assert failure.message.endswith(
        "\nDidn't understand relationship 'Ownr' in field path. If you are attempting to use a "
        "custom relationship, be sure to append the '__r' after the custom relationship name. "
        "Please reference your WSDL or the describe call for the appropriate names."
    )
    assert "relationship 'Email'" in error("SELECT Email.Name FROM Lead").message
    custom = error("SELECT Contact__c.Name FROM Subscription__c")
    assert "relationship 'Contact__c'" in custom.message


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("NumberOfEmployees = '5'", "field 'NumberOfEmployees' must be of type integer and"),
        ("AnnualRevenue > 'big'", "field 'AnnualRevenue' must be of type double and should not"),
        ("IsConverted = 'true'", "field 'IsConverted' must be of type boolean and should not"),
        ("IsConverted = 1", "field 'IsConverted' must be of type boolean and should not"),
        ("ConvertedDate = 2024-01-01T00:00:00Z", "field 'ConvertedDate' must be of type date"),
        ("ConvertedDate = '2024-01-01'", "field 'ConvertedDate' must be of type date"),
        ("CreatedDate > '2024-01-01'", "field 'CreatedDate' must be of type dateTime"),
        ("CreatedDate > 5", "field 'CreatedDate' must be of type dateTime"),
        ("Email = 5", "field 'Email' must be of type string and should be enclosed in quotes"),
        ("Email = TODAY", "field 'Email' must be of type string and should be enclosed"),
        ("Email IN ('a', 5)", "field 'Email' must be of type string"),
        ("NumberOfEmployees LIKE '5%'", "field 'NumberOfEmployees' must be of type integer"),
        ("IsConverted LIKE 't%'", "field 'IsConverted' must be of type boolean"),
        ("Email LIKE 5", "field 'Email' must be of type string"),
    ],
)
def test_type_mismatches(where: str, message: str) -> None:
    failure = error(f"SELECT Id FROM Lead WHERE {where}")
    assert failure.error_code == "INVALID_FIELD"
    assert "value of filter criterion for " + message in failure.message
    assert "ERROR at Row:1:Column:" in failure.message


def test_invalid_ids() -> None:
    failure = error("SELECT Id FROM Lead WHERE OwnerId = 'not-an-id'")
    assert failure.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert failure.message.endswith("invalid ID field: not-an-id")
    assert error("SELECT Id FROM Lead WHERE Id LIKE '00Q%'").message.endswith(
        "invalid operator on id field"
    )


def test_long_text_area_cannot_be_filtered_or_sorted() -> None:
    failure = error("SELECT Id FROM Lead WHERE Description = 'x'")
    assert failure.error_code == "INVALID_FIELD"
    assert "field 'Description' can not be filtered in a query call" in failure.message
    failure = error("SELECT Id FROM Lead ORDER BY Description")
    assert "field 'Description' can not be sorted in a query call" in failure.message


def test_duplicate_and_aggregate_mixing_errors() -> None:
    failure = error("SELECT Id, Email, id FROM Lead")
    assert failure.error_code == "MALFORMED_QUERY"
    assert "duplicate field selected: Id" in failure.message
    failure = error("SELECT COUNT(Id), Email FROM Lead")
    assert "Field must be grouped or aggregated: Email" in failure.message
    failure = error("SELECT COUNT(Id) FROM Lead ORDER BY Email")
    assert "Ordered field must be grouped or aggregated: Email" in failure.message


def test_syntax_errors_surface_from_compile_query() -> None:
    failure = error("SELECT Id FROM Lead WHERE Name = 'a' AND Phone = null OR City = 'x'")
    assert failure.error_code == "MALFORMED_QUERY"
    assert "unexpected token: 'OR'" in failure.message
    assert error("SELECT Id FROM Lead OFFSET 2001").error_code == "NUMBER_OUTSIDE_VALID_RANGE"


# -- SQL hygiene and speed -------------------------------------------------------------


def test_values_are_parameters_not_sql() -> None:
    compiled = compile_(r"SELECT Id FROM Lead WHERE LastName = 'x\' OR 1=1 --'")
    assert "1=1" not in compiled.where_sql
    assert compiled.params == ("x' OR 1=1 --",)


def test_an_in_list_of_200_emails_is_one_parameterised_in() -> None:
    """Speed is the bench's (`python -m bench --only sandbox`); here, the shape it relies on."""
    emails = ", ".join(f"'person{index}@example.com'" for index in range(200))
    compiled = compile_(f"SELECT Id, Email, Owner.Email FROM Lead WHERE Email IN ({emails})")
    assert compiled.params == tuple(f"person{index}@example.com" for index in range(200))
    assert compiled.where_sql.count("?") == 200
    assert "@example.com" not in compiled.where_sql


def rows_of(db: sqlite3.Connection, compiled: CompiledQuery) -> list[Any]:
    sql, params = compiled.sql()
    return db.execute(sql, params).fetchall()
