"""`leadbridge import` and `POST /api/v1/imports` when Salesforce fails after the first batch:
the report of every row still comes back, the exit code / status says it stopped, and the
same file imported again finishes the rest without duplicating anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.api.intake import install_intake
from leadbridge.cli import context
from leadbridge.cli.pull import intake_service
from leadbridge.importing import run
from leadbridge.ports import SystemClock
from tests.acceptance.test_connect_org import Cli
from tests.acceptance.test_intake import cli, new_record, prospect_count  # noqa: F401
from tests.conftest import SandboxClient
from tests.console import bearer

CSV = "email\none@example.com\ntwo@example.com\nthree@example.com\nfour@example.com\nfive@x\n"


@pytest.fixture
def fault_after_first_batch(
    monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient
) -> Callable[[str], None]:
    """Batches of two rows; Salesforce fails as `kind` from the second batch's lookups on
    (they run while the first batch is written)."""
    monkeypatch.setattr(run, "BATCH", 2)
    real = run._lookup

    def arm(kind: str) -> None:
        batches = 0

        def once_then_fault(*args: Any, **kwargs: Any) -> Any:
            nonlocal batches
            batches += 1
            if batches == 2:
                sandbox.control("POST", "/faults", {"kind": kind, "next_n": 10})
            return real(*args, **kwargs)

        monkeypatch.setattr(run, "_lookup", once_then_fault)

    return arm


def test_the_cli_reports_every_row_when_salesforce_stops_it(
    cli: Cli,  # noqa: F811
    sandbox: SandboxClient,
    tmp_path: Path,
    fault_after_first_batch: Callable[[str], None],
) -> None:
    file = tmp_path / "people.csv"
    file.write_text(CSV)
    fault_after_first_batch("REQUEST_LIMIT_EXCEEDED")
    report = json.loads(cli("import", str(file), "--json", code=7))
    assert report["complete"] is False
    assert report["stopped"]["line"] == 4
    assert report["stopped"]["code"] == "REQUEST_LIMIT_EXCEEDED"
    rows = {row["line"]: row for row in report["results"]}
    assert [rows[line]["status"] for line in (2, 3)] == ["created", "created"]
    assert [rows[line]["status"] for line in (4, 5, 6)] == ["not written"] * 3
    assert rows[4]["email"] == "three@example.com"
    assert "REQUEST_LIMIT_EXCEEDED" in rows[4]["reason"]
    assert rows[6]["email"] == "five@x"
    assert prospect_count(cli) == 2

    sandbox.control("DELETE", "/faults")
    text = cli("import", str(file))  # the same file again: finishes, nothing twice
    assert "2 unchanged" in text and "2 created" in text and "1 skipped" in text
    assert prospect_count(cli) == 4


def test_the_cli_table_names_where_it_stopped(
    cli: Cli,  # noqa: F811
    tmp_path: Path,
    fault_after_first_batch: Callable[[str], None],
) -> None:
    file = tmp_path / "people.csv"
    file.write_text(CSV)
    fault_after_first_batch("REQUEST_LIMIT_EXCEEDED")
    text = cli("import", str(file), code=7)
    assert "line 2 (one@example.com) created" in text
    assert "Stopped at line 4: REQUEST_LIMIT_EXCEEDED" in " ".join(text.split())
    assert "2 rows written, 3 not written (lines 4 to 6)" in " ".join(text.split())


def test_the_api_answers_503_with_the_report(
    cli: Cli,  # noqa: F811
    sandbox: SandboxClient,
    fault_after_first_batch: Callable[[str], None],
) -> None:
    app = create_app(context.database(), SystemClock())
    install_intake(app, intake_service())
    fault_after_first_batch("REQUEST_LIMIT_EXCEEDED")
    headers = {"content-type": "text/csv", **bearer(context.database(), "marketing")}
    with TestClient(app) as client:
        stopped = client.post("/api/v1/imports", content=CSV.encode(), headers=headers)
    assert stopped.status_code == 503, stopped.text
    body = stopped.json()
    assert body["error"]["code"] == "import_stopped"
    assert "line 4" in body["error"]["message"]
    assert body["stopped"]["code"] == "REQUEST_LIMIT_EXCEEDED"
    assert [row["status"] for row in body["results"]] == ["created"] * 2 + ["not written"] * 3

    sandbox.control("DELETE", "/faults")
    install_intake(app, intake_service())  # a new client: the old one stays off until reset
    with TestClient(app) as client:
        done = client.post("/api/v1/imports", content=CSV.encode(), headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["complete"] is True
    assert done.json()["counts"] == {"unchanged": 2, "created": 2, "skipped": 1}
    assert prospect_count(cli) == 4


def test_ctrl_c_still_prints_the_report_and_exits_130(
    cli: Cli,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run, "BATCH", 2)
    real, batches = run._import_batch, []

    def interrupted_in_the_second(*args: Any, **kwargs: Any) -> Any:
        batches.append(1)
        if len(batches) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "_import_batch", interrupted_in_the_second)
    file = tmp_path / "people.csv"
    file.write_text(CSV)
    report = json.loads(cli("import", str(file), "--json", code=130))
    assert report["stopped"]["code"] == "interrupted" and report["stopped"]["line"] == 4
    assert report["counts"] == {"created": 2, "not written": 3}
