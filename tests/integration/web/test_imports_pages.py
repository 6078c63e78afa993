"""The Import pages: upload a CSV (multipart form), the run imports in the background through
the gateway (here the real intake over the sandbox org), its report and CSV, past imports,
clear messages for files that cannot be imported, and who may import."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadbridge.cli.context import make_client
from leadbridge.connector.service import ConnectorService
from leadbridge.importing.service import IntakeService
from leadbridge.ports import SystemClock
from leadbridge.store import SecretBox
from leadbridge.store.database import Database
from leadbridge.web.gateway import install_gateway
from tests.conftest import SandboxClient
from tests.console import WebClient

Web = Callable[..., WebClient]
NO_DATA = {
    "users": 1,
    **dict.fromkeys(
        ("leads", "contacts", "accounts", "opportunities", "campaigns", "campaign_members"), 0
    ),
    "subscriptions": 0,
}


class IntakeGateway:
    """The console gateway's import, as `leadbridge serve` wires it, over `console_db`."""

    def __init__(self, intake: IntakeService) -> None:
        self.intake = intake
        self.progress_calls: list[tuple[int, int]] = []

    def import_csv(self, data: bytes, *, undelete: bool, progress: Any = None) -> dict[str, Any]:
        def seen(done: int, total: int) -> None:
            self.progress_calls.append((done, total))
            if progress is not None:
                progress(done, total)

        return self.intake.import_csv(data, undelete=undelete, progress=seen).as_dict()

    def sync_now(self) -> None:
        pass


@pytest.fixture
def connected(console_db: Database, sandbox: SandboxClient, tmp_path: Path) -> IntakeGateway:
    sandbox.control("POST", "/seed", NO_DATA)
    clock = SystemClock()
    service = ConnectorService(console_db, clock, make_client, SecretBox(tmp_path / "secret.key"))
    service.add_sandbox(Path(sandbox.credentials["ca_file"]).parent)
    service.verify()
    return IntakeGateway(IntakeService(console_db, clock, service.client))


def client_with_gateway(web: Web, gateway: IntakeGateway, role: str = "marketing") -> WebClient:
    client = web(role)
    install_gateway(client.app, gateway)  # type: ignore[arg-type]
    return client


def upload(client: WebClient, text: str, name: str = "people.csv", **extra: str) -> Any:
    files = {"file": (name, text.encode(), "text/csv")}
    return client.post("/imports", files=files, data=extra)


def test_upload_imports_and_reports_every_row(web: Web, connected: IntakeGateway) -> None:
    client = client_with_gateway(web, connected)
    text = "email,first_name\nada@import.example,Ada\nnot-an-email,Bad\n=cmd@import.example,X\n"
    answer = upload(client, text)
    assert answer.status_code == 303
    run_url = answer.headers["location"]
    assert re.fullmatch(r"/imports/\d+", run_url)
    page = client.get(run_url)
    assert page.status_code == 200
    assert "Finished" in page.text and 'badge-ok">Done' in page.text
    assert "ada@import.example" in page.text
    assert re.search(r"<td class=\"num\">3</td>\s*<td>not-an-email", page.text)
    assert connected.progress_calls[-1] == (3, 3)
    report = client.get(f"{run_url}/report.csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [row["line"] for row in rows] == ["2", "3", "4"]
    assert rows[0]["status"] == "created" and rows[1]["status"] == "skipped"
    assert rows[1]["reason"]
    assert rows[2]["email"].startswith("'=")  # formula-safe
    past = client.get("/imports")
    assert 'href="' + run_url + '">people.csv</a>' in past.text
    assert "hx-trigger" not in page.text  # finished: no more polling
    problems = client.get(f"{run_url}?show=problems")
    assert "not-an-email" in problems.text and "ada@import.example" not in problems.text
    attention = sum(1 for row in rows if row["status"] not in ("created", "updated"))
    assert f"Need attention ({attention})" in problems.text


def test_progress_is_polled_until_done(web: Web, connected: IntakeGateway) -> None:
    client = client_with_gateway(web, connected)
    run_url = upload(client, "email\nbea@import.example\n").headers["location"]
    partial = client.get(f"{run_url}/progress", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.headers.get("HX-Refresh") == "true"
    assert 'id="progress"' in partial.text and "1 of 1 rows" in partial.text


def test_unknown_columns_fail_the_run_with_a_clear_message(
    web: Web, connected: IntakeGateway
) -> None:
    client = client_with_gateway(web, connected)
    run_url = upload(client, "email,shoe_size\nzed@import.example,44\n").headers["location"]
    page = client.get(run_url)
    assert 'badge-bad">Failed' in page.text
    assert "unknown columns: shoe_size" in page.text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "The file is empty"),
        ("name,company\nAda,Acme\n", "must name its columns, one of them &#39;email&#39;"),
        ("email\n\xff\xfe", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_imported_is_a_clear_422(web: Web, content: str, words: str) -> None:
    client = web("marketing")
    data = content.encode("latin-1")
    answer = client.post("/imports", files={"file": ("bad.csv", data, "text/csv")})
    assert answer.status_code == 422
    assert 'id="file-error"' in answer.text and words in answer.text


def test_no_file_is_a_clear_422(web: Web) -> None:
    answer = web("marketing").post("/imports", data={"undelete": "on"})
    assert answer.status_code == 422
    assert "Choose a CSV file to upload." in answer.text


def test_an_unknown_run_is_404_and_a_huge_id_422(web: Web) -> None:
    client = web("marketing")
    assert client.get("/imports/424242").status_code == 404
    assert client.get("/imports/99999999999999999999").status_code == 422


@pytest.mark.parametrize("role", ["sales", "sales_manager"])
def test_sales_roles_cannot_import(web: Web, role: str) -> None:
    client = web(role)
    assert client.get("/imports").status_code == 403
    answer = client.post("/imports", files={"file": ("a.csv", b"email\na@b.example\n")})
    assert answer.status_code == 403
