"""Shared fixtures: one sandbox org over real HTTPS per test session, reset for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.remote import password_token
from leadbridge.sandbox import SandboxConfig, SandboxServer

pytest_plugins = ["tests.console"]

# A `/seed` body part that seeds users only: no records of any kind.
NO_DATA = dict.fromkeys(
    (
        "leads",
        "contacts",
        "accounts",
        "opportunities",
        "campaigns",
        "campaign_members",
        "subscriptions",
    ),
    0,
)


class SandboxClient:
    """The running sandbox plus helpers for its control plane."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.instance_url = server.instance_url
        self.credentials = server.credentials
        self.ca_file = str(server.ca_file)
        self.http = self.session()

    def session(self) -> requests.Session:
        """A requests session that trusts the sandbox CA whatever REQUESTS_CA_BUNDLE says."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_file
        return session

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        token = self.credentials.get("control_token")
        headers = {"X-Sandbox-Token": token} if token else {}
        url = f"{self.instance_url}/__sandbox__{path}"
        response = self.http.request(method, url, json=body, headers=headers)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def token(self) -> str:
        return password_token(self.http, self.instance_url, self.credentials)

    def api(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        headers.update(kwargs.pop("headers", {}))
        url = f"{self.instance_url}/services/data/v59.0{path}"
        return self.http.request(method, url, headers=headers, **kwargs)


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    data_dir: Path = tmp_path_factory.mktemp("sandbox")
    with SandboxServer(SandboxConfig(data_dir=data_dir, memory=True, random_seed=7)) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxClient:
    client = SandboxClient(sandbox_server)
    client.control("POST", "/reset")
    client.control("POST", "/tokens", {"lifetime_seconds": 7200})
    client.control("POST", "/clock", {"reset": True})
    return client
