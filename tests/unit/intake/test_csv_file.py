from __future__ import annotations

import pytest

from leadbridge.errors import InputError
from leadbridge.importing import csv_file
from leadbridge.importing.csv_file import header, read_csv
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.values import DEFAULT_SPECS

CATALOG = FieldCatalog(DEFAULT_SPECS, {})


def test_rows_are_checked_one_by_one_with_their_line_numbers() -> None:
    data = b'\xef\xbb\xbfEmail,First_Name,employees\na@x.com,Ann,3\n\nbad,B,1\nc@x.com,"C\nD",x\n'
    rows = list(read_csv(data, CATALOG))
    assert [(row.line, row.email, row.problem is None) for row in rows] == [
        (2, "a@x.com", True),
        (4, "bad", False),
        (6, "c@x.com", False),
    ]
    assert rows[0].values == {"first_name": "Ann", "employees": 3}
    assert rows[1].problem is not None and rows[1].problem.startswith("invalid email")
    assert rows[2].problem is not None and "employees" in rows[2].problem


def test_blank_cells_set_nothing_and_extra_cells_skip_the_row() -> None:
    rows = list(read_csv(b"email,city\na@x.com,\nb@x.com,Oslo,extra\n", CATALOG))
    assert rows[0].values == {}
    assert rows[1].problem == "3 cells but 2 columns"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"first_name\nAnn\n", "'email' column"),
        (b"email,shoe_size\n", "unknown columns: shoe_size"),
        (b"email,Email\n", "given twice"),
        (b"email\n\xff\n", "UTF-8"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        header(data, CATALOG)


def test_oversize_files_are_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_file, "MAX_ROWS", 2)
    with pytest.raises(InputError, match="more than 2 rows"):
        header(b"email\na@x.com\nb@x.com\nc@x.com\n", CATALOG)
    monkeypatch.setattr(csv_file, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="larger than"):
        header(b"email\na@x.com\nb@x.com\n", CATALOG)


def test_an_over_long_cell_is_a_clear_error_never_a_crash() -> None:
    long_cell = "a" * 200_000  # past the csv module's field size limit
    with pytest.raises(InputError, match="line 3: a cell is longer than 131,072 characters"):
        header(f"email,comments\na@x.com,ok\nb@x.com,{long_cell}\n".encode(), CATALOG)
    rows = list(read_csv(f"email,first_name\na@x.com,{'b' * 5000}\n".encode(), CATALOG))
    assert rows[0].problem == "first_name: longer than 40 characters"


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("9" * 30, "out of range"),
        ("1e300", "out of range"),
        ("9" * 5000, "too long to be a number"),
        ("-3000000000", "out of range"),
    ],
)
def test_out_of_range_numbers_skip_the_row(cell: str, problem: str) -> None:
    [row] = read_csv(f"email,employees\na@x.com,{cell}\n".encode(), CATALOG)
    assert row.problem is not None and problem in row.problem
    assert row.problem.startswith("employees:")


def test_a_nul_character_skips_the_row() -> None:
    [row] = read_csv(b"email,city\na@x.com,Os\x00lo\n", CATALOG)
    assert row.problem == "city: contains a NUL character"
