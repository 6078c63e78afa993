"""The seed's three ways to bring new Salesforce leads and contacts into leadbridge — Send to
leadbridge (CLI, HTTP endpoint, the sandbox record page's button), manual upload, and
automatically create prospects — and that nothing arrives without one of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.api.intake import install_intake
from leadbridge.cli import context
from leadbridge.cli.pull import intake_service
from leadbridge.ports import SystemClock
from leadbridge.sync.intake import auto_create_step
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import SandboxClient
from tests.console import bearer


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    runner = Cli(tmp_path / ".leadbridge")
    runner("connector", "add", "--sandbox", sandbox_dir(sandbox))
    runner("connector", "verify")
    runner("users", "sync", "--create")
    runner("connector", "resume")
    yield runner
    context.reset()


def new_record(sandbox: SandboxClient, object_name: str, **fields: Any) -> str:
    if object_name == "Lead":
        fields.setdefault("Company", "Acme")
    fields.setdefault("LastName", "Lovelace")
    return str(sandbox.control("POST", f"/records/{object_name}", {"fields": fields})["id"])


def prospect(cli: Cli, email: str) -> dict[str, Any]:
    found: dict[str, Any] = cli.json("prospects", "show", email)
    return found


def prospect_count(cli: Cli) -> int:
    return len(cli.json("prospects", "list"))


def by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in report["results"]}


def auto_create() -> dict[str, Any]:
    crm = context.connector_service().client()
    return auto_create_step(context.database(), crm, SystemClock()).as_dict()


def test_send_to_leadbridge_from_the_cli_even_while_paused(
    cli: Cli, sandbox: SandboxClient
) -> None:
    lead = new_record(sandbox, "Lead", Email="ada@example.com", FirstName="Ada", Company="AE")
    contact = new_record(sandbox, "Contact", Email="grace@example.com", FirstName="Grace")
    no_email = new_record(sandbox, "Lead")
    auto_create()
    assert prospect_count(cli) == 0  # nothing arrives by itself
    cli("connector", "pause")
    report = cli.json("pull", lead[:15], contact, no_email, "00Q000000000000", "nonsense")
    results = by_key(report)
    assert results[lead[:15]]["status"] == "created"
    assert results[contact]["status"] == "created"
    assert results[no_email]["status"] == "no email"
    assert results["00Q000000000000"]["status"] == "not found"
    assert results["nonsense"]["status"] == "not found"
    assert report["crm_calls"] == 2  # one retrieve per object, never one per id
    ada = prospect(cli, "ada@example.com")
    assert (ada["first_name"], ada["company"]) == ("Ada", "AE")
    assert ada["crm_lead_id"] == lead
    assert ada["assigned_user"] is not None  # the lead's owner, through the user mapping
    assert prospect(cli, "grace@example.com")["crm_contact_id"] == contact


def test_send_links_or_restores_the_prospect_with_that_email(
    cli: Cli, sandbox: SandboxClient
) -> None:
    cli("prospects", "add", "known@example.com", "--company", "Ours")
    cli("prospects", "add", "binned@example.com")
    binned = prospect(cli, "binned@example.com")["id"]
    cli("prospects", "delete", "binned@example.com")
    known_id = new_record(sandbox, "Contact", Email="Known@Example.com", FirstName="Kay")
    binned_id = new_record(sandbox, "Lead", Email="binned@example.com")
    results = by_key(cli.json("pull", known_id, binned_id))
    assert results[known_id]["status"] == "linked"
    assert results[binned_id]["status"] == "restored"
    assert results[binned_id]["prospect_id"] == binned
    known = prospect(cli, "known@example.com")
    assert (known["first_name"], known["company"]) == ("Kay", "Ours")  # fills blanks only
    assert prospect_count(cli) == 2
    again = by_key(cli.json("pull", known_id))
    assert again[known_id]["status"] == "unchanged"


def test_send_through_the_http_endpoint_needs_a_key_whose_role_may(
    cli: Cli, sandbox: SandboxClient
) -> None:
    lead = new_record(sandbox, "Lead", Email="http@example.com")
    app = create_app(context.database(), SystemClock())
    install_intake(app, intake_service())
    with TestClient(app) as client:
        refused = client.post("/api/v1/connector/send", json={"ids": [lead]})
        assert refused.status_code == 401
        sales = bearer(context.database(), "sales")
        forbidden = client.post("/api/v1/connector/send", json={"ids": [lead]}, headers=sales)
        assert forbidden.status_code == 403
        sent = client.post(
            "/api/v1/connector/send",
            json={"ids": [lead]},
            headers=bearer(context.database(), "marketing"),
        )
        assert sent.status_code == 200, sent.text
        assert sent.json()["results"][0]["status"] == "created"
    assert prospect(cli, "http@example.com")["crm_lead_id"] == lead


def test_the_sandbox_record_page(sandbox: SandboxClient) -> None:
    lead = new_record(sandbox, "Lead", Email="page@example.com", LastName="Page")
    listing = sandbox.http.get(f"{sandbox.instance_url}/sandbox/records")
    assert listing.status_code == 200 and lead in listing.text
    page = sandbox.http.get(f"{sandbox.instance_url}/sandbox/records/{lead}")
    assert page.status_code == 200
    assert 'method="get" action="http://127.0.0.1:8080/send-to-leadbridge"' in page.text
    assert f'name="ids" value="{lead}"' in page.text
    assert "token" not in page.text.lower()
    before = sandbox.server.backend.org.retrieve("Lead", lead)["SystemModstamp"]
    sandbox.control("POST", "/clock", {"advance_seconds": 1})  # stamps have whole seconds
    saved = sandbox.http.post(
        f"{sandbox.instance_url}/sandbox/records/{lead}",
        data={"LastName": "Edited", "Email": "page@example.com"},
        allow_redirects=False,
    )
    assert saved.status_code == 303
    after = sandbox.server.backend.org.retrieve("Lead", lead)
    assert after["LastName"] == "Edited" and after["SystemModstamp"] > before
    refused = sandbox.http.post(
        f"{sandbox.instance_url}/sandbox/records/{lead}", data={"LastName": ""}
    )
    assert "error" in refused.text  # LastName is required: the org's save rules apply


CSV = """email,first_name,employees
new@example.com,Nia,10
not-an-email,Bad,1
typed@example.com,Ty,many
contact@example.com,,
binned@example.com,Bin,2
"""


def test_import_a_csv_with_good_and_bad_rows(
    cli: Cli, sandbox: SandboxClient, tmp_path: Path
) -> None:
    contact = new_record(sandbox, "Contact", Email="contact@example.com", FirstName="Cora")
    cli("prospects", "add", "binned@example.com")
    cli("prospects", "delete", "binned@example.com")
    file = tmp_path / "people.csv"
    file.write_text(CSV)
    report = cli.json("import", str(file))
    rows = {row["line"]: row for row in report["results"]}
    assert rows[2]["status"] == "created"
    assert rows[3]["status"] == "skipped" and "invalid email" in rows[3]["reason"]
    assert rows[4]["status"] == "skipped" and "employees" in rows[4]["reason"]
    assert rows[5]["status"] == "created" and rows[5]["crm_id"] == contact
    assert rows[6]["status"] == "skipped" and "recycle bin" in rows[6]["reason"]
    assert prospect(cli, "contact@example.com")["first_name"] == "Cora"  # pulled from Salesforce
    assert prospect_count(cli) == 2  # nothing half-applied
    cli("prospects", "show", "typed@example.com", code=3)
    undeleted = {row["line"]: row for row in cli.json("import", str(file), "--undelete")["results"]}
    assert undeleted[6]["status"] == "restored"
    assert undeleted[2]["status"] == "unchanged"
    assert prospect(cli, "binned@example.com")["first_name"] == "Bin"


def test_an_unknown_column_refuses_the_whole_file(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("email,favourite_colour\na@example.com,blue\n")
    cli("import", str(file), code=2)
    assert prospect_count(cli) == 0


def test_import_through_the_http_api(cli: Cli, sandbox: SandboxClient) -> None:
    lead = new_record(sandbox, "Lead", Email="up@example.com", FirstName="Upton")
    app = create_app(context.database(), SystemClock())
    install_intake(app, intake_service())
    with TestClient(app, headers=bearer(context.database(), "marketing")) as client:
        plain = client.post(
            "/api/v1/imports",
            content=b"email\nup@example.com\n",
            headers={"content-type": "text/csv"},
        )
        assert plain.status_code == 200, plain.text
        assert plain.json()["results"][0]["crm_id"] == lead
        multipart = client.post(
            "/api/v1/imports", files={"file": ("x.csv", b"email,city\nmp@example.com,Oslo\n")}
        )
        assert multipart.status_code == 200, multipart.text
        assert multipart.json()["counts"] == {"created": 1}
        unknown = client.post(
            "/api/v1/imports", content=b"email,nope\n", headers={"content-type": "text/csv"}
        )
        assert unknown.status_code == 422
    assert prospect(cli, "up@example.com")["first_name"] == "Upton"
    assert prospect(cli, "mp@example.com")["city"] == "Oslo"


def test_automatically_create_prospects(cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.control("POST", "/clock", {"offset_seconds": -10})  # ten seconds before the switch-on
    new_record(sandbox, "Lead", Email="early@example.com")
    assert auto_create()["results"] == []  # off by default
    sandbox.control("POST", "/clock", {"reset": True})
    cli("connector", "set", "auto_create_prospects", "true")  # the switch-on, on the org's clock
    # a rep creates leads and a contact before the next cycle: all of them are taken
    contact = new_record(sandbox, "Contact", Email="late@example.com", FirstName="Lena")
    new_record(sandbox, "Lead", Email="late@example.com")  # same person: the contact wins
    leads = [new_record(sandbox, "Lead", Email=f"lead{n}@example.com") for n in range(2)]
    cli("prospects", "add", "taken@example.com")
    new_record(sandbox, "Lead", Email="taken@example.com")
    first = auto_create()
    assert first["crm_calls"] == 2
    assert sorted((r["status"], r["crm_id"]) for r in first["results"]) == sorted(
        ("created", crm_id) for crm_id in [contact, *leads]
    )
    late = prospect(cli, "late@example.com")
    assert late["first_name"] == "Lena" and late["assigned_user"] is not None
    cli("prospects", "show", "early@example.com", code=3)  # not retroactive
    assert auto_create()["results"] == []  # nothing twice


def test_bad_import_files_get_a_clear_4xx_never_a_500(cli: Cli) -> None:
    app = create_app(context.database(), SystemClock())
    install_intake(app, intake_service())
    long_cell = "x" * 200_000  # past the csv module's field size limit
    key = bearer(context.database(), "marketing")
    with TestClient(app, raise_server_exceptions=False, headers=key) as client:
        whole = client.post(
            "/api/v1/imports",
            content=f"email,comments\na@example.com,{long_cell}\n".encode(),
            headers={"content-type": "text/csv"},
        )
        assert whole.status_code == 422, whole.text
        assert whole.json()["error"] == {
            "code": "invalid",
            "message": "line 2: a cell is longer than 131,072 characters",
            "field": "file",
        }
        rows = client.post(
            "/api/v1/imports",
            content=f"email,first_name,employees\nb@example.com,{'y' * 500},1\n"
            f"c@example.com,C,{'9' * 40}\nd@example.com,D,\n".encode(),
            headers={"content-type": "text/csv"},
        )
        assert rows.status_code == 200, rows.text
        problems = [
            (row["line"], row["status"], row.get("reason")) for row in rows.json()["results"]
        ]
        assert problems[0][:2] == (2, "skipped") and "longer than 40" in str(problems[0][2])
        assert problems[1][:2] == (3, "skipped") and "out of range" in str(problems[1][2])
        assert problems[2][:2] == (4, "created")
