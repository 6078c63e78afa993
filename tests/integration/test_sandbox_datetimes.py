"""Datetimes in whole seconds, as Salesforce stores them, through unmodified simple-salesforce."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from leadbridge.sandbox import SandboxConfig, SandboxServer
from tests.conftest import SandboxClient

WHOLE = ".000+0000"
AUDIT = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


def client(instance_url: str, credentials: dict[str, str]) -> Salesforce:
    session = requests.Session()
    session.trust_env = False
    session.verify = credentials["ca_file"]
    return Salesforce(
        username=credentials["username"],
        password=credentials["password"],
        security_token=credentials["security_token"],
        domain=f"{instance_url.removeprefix('https://')}/services/Soap/u/59.0#",
        session=session,
    )


@pytest.fixture
def sf(sandbox: SandboxClient) -> Iterator[Salesforce]:
    yield client(sandbox.instance_url, sandbox.credentials)
    sandbox.control("POST", "/clock", {"reset": True})


def set_frozen_time(sandbox: SandboxClient, moment: datetime) -> None:
    shown = sandbox.control("POST", "/clock", {"freeze": True})
    now = datetime.fromisoformat(shown["now"])
    offset = float(shown["offset_seconds"]) + (moment - now).total_seconds()
    answer = sandbox.control("POST", "/clock", {"offset_seconds": offset})
    assert answer["frozen"] is True


def test_audit_fields_have_whole_seconds(sandbox: SandboxClient, sf: Salesforce) -> None:
    created = sf.Lead.create({"LastName": "Lovelace", "Company": "Engines"})
    sf.Lead.update(created["id"], {"Title": "Countess"})
    record = sf.Lead.get(created["id"])
    for name in AUDIT:
        assert str(record[name]).endswith(WHOLE), (name, record[name])
    rows = sf.query(f"SELECT {', '.join(AUDIT)} FROM Lead WHERE Id = '{created['id']}'")
    for name in AUDIT:
        assert str(rows["records"][0][name]).endswith(WHOLE)


def test_the_fraction_is_truncated_and_one_second_is_shared(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    set_frozen_time(sandbox, datetime(2031, 5, 1, 10, 20, 30, 987_000, tzinfo=UTC))
    first = sf.Lead.create({"LastName": "One", "Company": "A"})["id"]
    second = sf.Lead.create({"LastName": "Two", "Company": "B"})["id"]
    sandbox.control("POST", "/clock", {"advance_seconds": 0.01})  # 10:20:30.997: same second
    sf.Lead.update(first, {"Title": "Again"})
    rows = sf.query(f"SELECT Id, SystemModstamp FROM Lead WHERE Id IN ('{first}', '{second}')")
    assert {row["SystemModstamp"] for row in rows["records"]} == {"2031-05-01T10:20:30.000+0000"}
    # a literal's milliseconds are ignored, as Salesforce ignores them when comparing
    found = sf.query("SELECT COUNT() FROM Lead WHERE SystemModstamp = 2031-05-01T10:20:30.500Z")
    assert found["totalSize"] == 2
    sandbox.control("POST", "/clock", {"advance_seconds": 0.01})  # 10:20:31.007: the next
    sf.Lead.update(second, {"Title": "Later"})
    assert sf.Lead.get(second)["SystemModstamp"] == "2031-05-01T10:20:31.000+0000"


@pytest.fixture(scope="module")
def timed_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """An org whose Lead has a custom datetime field (the default schema has none)."""
    data_dir: Path = tmp_path_factory.mktemp("timed")
    schema = data_dir / "schema.yaml"
    schema.write_text("objects:\n  Lead:\n    fields:\n      Met_At__c: {type: datetime}\n")
    config = SandboxConfig(data_dir=data_dir, memory=True, random_seed=7, schema_file=schema)
    with SandboxServer(config) as server:
        yield server


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2024-05-01T10:20:30.987Z", "2024-05-01T10:20:30.000+0000"),
        ("2024-05-01T10:20:30.999+0000", "2024-05-01T10:20:30.000+0000"),
        ("2024-05-01T12:20:30.5+02:00", "2024-05-01T10:20:30.000+0000"),
        ("2024-05-01T10:20:30Z", "2024-05-01T10:20:30.000+0000"),
    ],
)
def test_datetime_values_written_through_the_api_keep_whole_seconds(
    timed_org: SandboxServer, sent: str, stored: str
) -> None:
    sf = client(timed_org.instance_url, timed_org.credentials)
    lead = sf.Lead.create({"LastName": "Hopper", "Company": "Navy", "Met_At__c": sent})["id"]
    assert sf.Lead.get(lead)["Met_At__c"] == stored
    sf.Lead.update(lead, {"Met_At__c": sent.replace("10:20", "11:20").replace("12:20", "13:20")})
    assert sf.Lead.get(lead)["Met_At__c"] == stored.replace("10:20", "11:20")
