"""A SalesforceClient logged in to the sandbox org over real HTTPS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from leadbridge.salesforce import CrmCredentials, Flow, RetryPolicy, SalesforceClient
from tests.conftest import SandboxClient

FAST_RETRY = RetryPolicy(attempts=4, base=0.001, max=0.01, sleep=time.sleep)


def credentials_for(
    sandbox: SandboxClient, flow: Flow = "client_credentials", **extra: Any
) -> CrmCredentials:
    creds = sandbox.credentials
    values: dict[str, Any] = {
        "login_url": creds["login_url"],
        "flow": flow,
        "username": creds["username"],
        "password": creds["password"],
        "security_token": creds["security_token"],
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "ca_file": creds["ca_file"],
    }
    values.update(extra)
    return CrmCredentials(**values)


def client_for(
    sandbox: SandboxClient, flow: Flow = "client_credentials", **options: Any
) -> SalesforceClient:
    options.setdefault("retry", FAST_RETRY)
    return SalesforceClient(credentials_for(sandbox, flow), **options)


def org_usage(sandbox: SandboxClient) -> int:
    """The org's own count of API calls (logins and the control plane are not counted)."""
    return int(sandbox.control("GET", "/usage")["used"])


def insert_leads(sandbox: SandboxClient, rows: list[dict[str, Any]]) -> list[str]:
    """Fast in-process setup: no API calls."""
    full = [{"LastName": "Lead", "Company": "Co", **row} for row in rows]
    return sandbox.server.backend.org.insert_raw("Lead", full)


@pytest.fixture
def client(sandbox: SandboxClient) -> Iterator[SalesforceClient]:
    with client_for(sandbox) as built:
        yield built


@pytest.fixture(autouse=True)
def default_allowance(sandbox: SandboxClient) -> Iterator[None]:
    """The org reset keeps the allowance; tests here change it, so put it back both ways."""
    sandbox.control("POST", "/usage", {"allowance": 100_000, "used": 0})
    yield
    sandbox.control("POST", "/usage", {"allowance": 100_000, "used": 0})
    sandbox.control("DELETE", "/faults")
