"""`leadbridge sandbox serve` as a user runs it: a real process, real files, real HTTPS."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from leadbridge.sandbox.server import free_port

CREDENTIAL_KEYS = {
    "instance_url",
    "pubsub_endpoint",
    "login_url",
    "username",
    "password",
    "security_token",
    "client_id",
    "client_secret",
    "ca_file",
}


def start(data_dir: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "leadbridge.cli.main",
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--data",
        str(data_dir),
        *extra,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until_up(process: subprocess.Popen[str], url: str, ca_file: Path) -> None:
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"sandbox exited: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            if ca_file.exists() and session.get(f"{url}/services/data/", verify=str(ca_file)).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError("sandbox did not start")


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=10)
    return output


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    port = free_port()
    process = start(tmp_path, port, "--seed-demo", "--leads", "300")
    wait_until_up(process, f"https://localhost:{port}", tmp_path / "ca.pem")
    yield process, tmp_path, port
    if process.poll() is None:
        stop(process)


def client(credentials: dict[str, str]) -> Salesforce:
    session = requests.Session()
    session.trust_env = False
    session.verify = credentials["ca_file"]
    return Salesforce(
        username=credentials["username"],
        password=credentials["password"],
        security_token=credentials["security_token"],
        session=session,
        domain=credentials["instance_url"].removeprefix("https://") + "/services/Soap/u/59.0#",
    )


def test_serve_writes_credentials_seeds_demo_data_and_keeps_records(
    served: tuple[subprocess.Popen[str], Path, int],
) -> None:
    process, data_dir, port = served
    credentials = json.loads((data_dir / "credentials.json").read_text())
    assert set(credentials) == CREDENTIAL_KEYS
    assert credentials["instance_url"] == f"https://localhost:{port}"
    assert (data_dir / "org.sqlite3").exists()
    sf = client(credentials)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 300
    lead_id = sf.Lead.create({"LastName": "Survivor", "Company": "Restart Inc"})["id"]
    output = stop(process)
    assert credentials["password"] not in output
    assert credentials["client_secret"] not in output
    assert "credentials.json" in output

    again = start(data_dir, port, "--seed-demo", "--leads", "300")
    try:
        wait_until_up(again, f"https://localhost:{port}", data_dir / "ca.pem")
        restarted = json.loads((data_dir / "credentials.json").read_text())
        assert restarted["password"] == credentials["password"]
        sf = client(restarted)
        assert sf.Lead.get(lead_id)["LastName"] == "Survivor"
        assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 301
    finally:
        stop(again)
