"""Ordered queries page by keyset in the sandbox: every row exactly once, in order, across many
small pages, with ties and NULLs in the sort keys, ASC and DESC, NULLS FIRST and LAST; a
locator for another position still works; rows removed between pages shift nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from simple_salesforce import Salesforce

from tests.conftest import SandboxClient

ROWS = 2500
PAGE = 97  # small, and not a divisor of the tie groups


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )


def seed(sandbox: SandboxClient, rows: int = ROWS) -> None:
    """Leads with heavy ties: 13 employee counts (one in 13 NULL), 4 ratings (one NULL),
    SystemModstamps on 40 distinct seconds."""
    ratings = ["Hot", "Warm", "Cold", None]
    sandbox.server.backend.org.insert_raw(
        "Lead",
        [
            {
                "LastName": f"L{i}",
                "Company": "Co",
                "NumberOfEmployees": None if i % 13 == 0 else i % 13,
                "Rating": ratings[i % 4],
                "SystemModstamp": f"2024-01-01T00:00:{i % 40:02d}.000+0000",
            }
            for i in range(rows)
        ],
    )
    sandbox.control("POST", "/queries", {"max_batch_size": PAGE})


def read_all(sf: Salesforce, soql: str, *, endpoint: str = "query") -> list[dict[str, Any]]:
    """Every page by nextRecordsUrl; checks each page's size and `totalSize`."""
    first = sf.restful(endpoint, params={"q": soql})
    records = list(first["records"])
    pages = 1
    reply = first
    while not reply["done"]:
        reply = sf.query_more(reply["nextRecordsUrl"], identifier_is_url=True)
        records += reply["records"]
        pages += 1
    assert len(records) == first["totalSize"]
    assert pages == -(-first["totalSize"] // PAGE)
    return records


def sort_key(field: str, *, descending: bool, nulls_first: bool) -> Callable[[Any], Any]:
    """A key that sorts values as `ORDER BY field [DESC] NULLS FIRST|LAST` does."""

    def key(record: dict[str, Any]) -> tuple[int, Any]:
        value = record[field]
        if value is None:
            return (0 if nulls_first else 2, 0)
        if isinstance(value, str):
            value = tuple(-ord(c) for c in value) if descending else value
        elif descending:
            value = -value
        return (1, value)

    return key


def assert_ordered(records: list[dict[str, Any]], keys: list[Callable[[Any], Any]]) -> None:
    ids = [record["Id"] for record in records]
    assert len(ids) == len(set(ids)) == ROWS
    tuples = [tuple(key(record) for key in keys) for record in records]
    assert tuples == sorted(tuples)


@pytest.mark.parametrize(
    ("order_by", "descending", "nulls_first"),
    [
        ("NumberOfEmployees", False, True),  # ASC: NULLS FIRST by default
        ("NumberOfEmployees DESC", True, False),  # DESC: NULLS LAST by default
        ("NumberOfEmployees ASC NULLS LAST", False, False),
        ("NumberOfEmployees DESC NULLS FIRST", True, True),
    ],
)
def test_one_key_with_ties_and_nulls(
    sandbox: SandboxClient, sf: Salesforce, order_by: str, descending: bool, nulls_first: bool
) -> None:
    seed(sandbox)
    records = read_all(sf, f"SELECT Id, NumberOfEmployees FROM Lead ORDER BY {order_by}")
    assert_ordered(
        records, [sort_key("NumberOfEmployees", descending=descending, nulls_first=nulls_first)]
    )


def test_two_keys_mixed_directions(sandbox: SandboxClient, sf: Salesforce) -> None:
    seed(sandbox)
    soql = (
        "SELECT Id, Rating, NumberOfEmployees FROM Lead "
        "ORDER BY Rating DESC NULLS FIRST, NumberOfEmployees ASC NULLS LAST"
    )
    records = read_all(sf, soql)
    assert_ordered(
        records,
        [
            sort_key("Rating", descending=True, nulls_first=True),
            sort_key("NumberOfEmployees", descending=False, nulls_first=False),
        ],
    )


def test_the_pulls_query_by_system_modstamp_and_id(sandbox: SandboxClient, sf: Salesforce) -> None:
    seed(sandbox)
    soql = (
        "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:00Z "
        "AND SystemModstamp < 2024-01-02T00:00:00Z ORDER BY SystemModstamp, Id"
    )
    records = read_all(sf, soql, endpoint="queryAll")
    pairs = [(record["SystemModstamp"], record["Id"].lower()) for record in records]
    assert len({record["Id"] for record in records}) == ROWS
    assert pairs == sorted(pairs)  # Ids sort case-insensitively, as their 18-character form does


def test_pages_match_one_big_page(sandbox: SandboxClient, sf: Salesforce) -> None:
    """Small keyset pages give exactly the rows, in the order, of one OFFSET-free read."""
    seed(sandbox, 1500)
    soql = "SELECT Id FROM Lead ORDER BY Rating, NumberOfEmployees DESC"
    paged = [record["Id"] for record in read_all_any(sf, soql)]
    sandbox.control("POST", "/queries", {"max_batch_size": 2000})
    whole = sf.query(soql)
    assert whole["done"]
    assert paged == [record["Id"] for record in whole["records"]]


def read_all_any(sf: Salesforce, soql: str) -> list[dict[str, Any]]:
    reply = sf.query(soql)
    records = list(reply["records"])
    while not reply["done"]:
        reply = sf.query_more(reply["nextRecordsUrl"], identifier_is_url=True)
        records += reply["records"]
    return records


def test_a_locator_for_another_position_still_pages(sandbox: SandboxClient, sf: Salesforce) -> None:
    """Asking for a position other than the next one (OFFSET for that page), then reading on
    (keyset again) gives the same rows as reading straight through."""
    seed(sandbox, 600)
    soql = "SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC, Rating"
    straight = [record["Id"] for record in read_all_any(sf, soql)]
    first = sf.query(soql)
    locator = first["nextRecordsUrl"].rpartition("-")[0]
    jumped = sf.query_more(f"{locator}-300", identifier_is_url=True)
    records = list(jumped["records"])
    reply = jumped
    while not reply["done"]:
        reply = sf.query_more(reply["nextRecordsUrl"], identifier_is_url=True)
        records += reply["records"]
    assert [record["Id"] for record in records] == straight[300:]


def test_rows_removed_between_pages_shift_nothing(sandbox: SandboxClient, sf: Salesforce) -> None:
    """Deleting rows already returned does not make the next pages skip any (OFFSET would
    skip as many)."""
    seed(sandbox, 300)
    soql = "SELECT Id FROM Lead ORDER BY NumberOfEmployees"
    straight = [record["Id"] for record in read_all_any(sf, soql)]
    first = sf.query(soql)
    for record in first["records"][:20]:
        assert sandbox.api("DELETE", f"/sobjects/Lead/{record['Id']}").status_code == 204
    records = list(first["records"])
    reply = first
    while not reply["done"]:
        reply = sf.query_more(reply["nextRecordsUrl"], identifier_is_url=True)
        records += reply["records"]
    assert [record["Id"] for record in records] == straight  # the 20 were on page 1


def test_a_page_read_again_gives_the_same_rows(sandbox: SandboxClient, sf: Salesforce) -> None:
    """A client retrying a page (same locator again) gets the same rows, and reads on."""
    seed(sandbox, 600)
    soql = "SELECT Id FROM Lead ORDER BY Rating DESC, NumberOfEmployees"
    straight = [record["Id"] for record in read_all_any(sf, soql)]
    first = sf.query(soql)
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    again = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert again["records"] == third["records"]
    records = [*first["records"], *second["records"], *again["records"]]
    reply = again
    while not reply["done"]:
        reply = sf.query_more(reply["nextRecordsUrl"], identifier_is_url=True)
        records += reply["records"]
    assert [record["Id"] for record in records] == straight


def test_a_statements_own_limit_and_offset_hold_across_pages(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    seed(sandbox, 1000)
    soql = "SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC, Rating"
    straight = [record["Id"] for record in read_all_any(sf, soql)]
    window = read_all_any(sf, f"{soql} LIMIT 500 OFFSET 37")
    assert [record["Id"] for record in window] == straight[37:537]
