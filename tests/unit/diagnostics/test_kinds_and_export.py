"""Error kinds from error codes, and the CSV export's file handling."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadbridge.diagnostics import ErrorKind, ErrorView, kind_of, parse_kind
from leadbridge.diagnostics.export import COLUMNS, safe_cell, write_csv
from leadbridge.diagnostics.kinds import ADVICE, retries_automatically
from leadbridge.errors import ConflictError, InputError

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("UNABLE_TO_LOCK_ROW", ErrorKind.TRANSIENT),
        ("REQUEST_LIMIT_EXCEEDED", ErrorKind.LIMIT),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION", ErrorKind.DATA),
        ("SOMETHING_NEW_FROM_SALESFORCE", ErrorKind.DATA),
        ("DUPLICATES_DETECTED", ErrorKind.DUPLICATE),
        ("ENTITY_IS_DELETED", ErrorKind.GONE),
        ("INACTIVE_OWNER_OR_USER", ErrorKind.PERMISSION),
        ("INVALID_FIELD", ErrorKind.CONFIGURATION),
        ("USER_NOT_MAPPED", ErrorKind.CONFIGURATION),
        ("PREFLIGHT_STRING_TOO_LONG", ErrorKind.DATA),
    ],
)
def test_kind_follows_from_the_code(code: str, kind: ErrorKind) -> None:
    assert kind_of(code) is kind


def test_every_kind_has_advice_and_only_passing_problems_retry_by_themselves() -> None:
    assert set(ADVICE) == set(ErrorKind)
    assert {kind for kind in ErrorKind if retries_automatically(kind)} == {ErrorKind.TRANSIENT}


def test_parse_kind_accepts_any_case_and_lists_the_choices() -> None:
    assert parse_kind(" Data ") is ErrorKind.DATA
    with pytest.raises(InputError, match="configuration"):
        parse_kind("oops")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1 555", "'+1 555"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("plain text", "plain text"),
        (None, ""),
        (3, "3"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_defused(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def view(error_id: int, message: str = "Phone must have 10 digits") -> ErrorView:
    return ErrorView(
        id=error_id,
        kind=ErrorKind.DATA,
        error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        message=message,
        fields=("Phone", "MobilePhone"),
        prospect_id=1,
        prospect_email="ada@example.com",
        crm_object="Lead",
        crm_id=None,
        attempts=2,
        first_seen_at=AT,
        last_seen_at=AT,
        resolved_at=None,
        next_attempt_at=None,
    )


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def test_write_csv_has_a_header_and_one_row_per_error(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"
    assert write_csv(path, [view(1), view(2, "=cmd")]) == 2
    rows = read(path)
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0]["fields"] == "Phone; MobilePhone"
    assert rows[0]["status"] == "open" and rows[0]["crm_id"] == ""
    assert rows[1]["message"] == "'=cmd"


def test_write_csv_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(ConflictError, match="--force"):
        write_csv(path, [view(1)])
    assert path.read_text(encoding="utf-8") == "keep me"
    assert write_csv(path, [view(1)], force=True) == 1
    assert read(path)[0]["id"] == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["errors.csv"]


def test_write_csv_names_a_missing_folder_or_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_csv(tmp_path / "nowhere" / "errors.csv", [])
    with pytest.raises(InputError, match="is a folder"):
        write_csv(tmp_path, [])


def test_a_failed_export_leaves_no_partial_file(tmp_path: Path) -> None:
    def broken() -> Iterator[ErrorView]:
        yield view(1)
        raise RuntimeError("database went away")

    path = tmp_path / "errors.csv"
    with pytest.raises(RuntimeError):
        write_csv(path, broken())
    assert not path.exists()
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(RuntimeError):
        write_csv(path, broken(), force=True)
    assert path.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["errors.csv"]
