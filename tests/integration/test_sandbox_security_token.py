"""A password without the security token: refused unless the caller is in the org's trusted
IP ranges (set through the control plane), over real HTTPS with unmodified simple-salesforce."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from tests.conftest import SandboxClient


def host(sandbox: SandboxClient) -> str:
    return sandbox.instance_url.removeprefix("https://")


def oauth_login(sandbox: SandboxClient, password: str) -> Salesforce:
    creds = sandbox.credentials
    return Salesforce(
        username=creds["username"],
        password=password,
        consumer_key=creds["client_id"],
        consumer_secret=creds["client_secret"],
        domain=f"{host(sandbox)}/services/oauth2/token#",
        session=sandbox.session(),
    )


def soap_login(sandbox: SandboxClient, security_token: str) -> tuple[str, str]:
    creds = sandbox.credentials
    session_id, instance = SalesforceLogin(
        username=creds["username"],
        password=creds["password"],
        security_token=security_token,
        scratch_url=sandbox.instance_url,
        session=sandbox.session(),
    )
    return str(session_id), str(instance)


def test_without_the_token_both_logins_fail_as_salesforce_does(sandbox: SandboxClient) -> None:
    assert sandbox.control("GET", "/trusted-ips") == {"ranges": []}  # the default
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        oauth_login(sandbox, sandbox.credentials["password"])
    assert "invalid_grant" in str(failure.value)
    assert "authentication failure" in str(failure.value)
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        soap_login(sandbox, "")
    assert "INVALID_LOGIN" in str(failure.value)
    reply = sandbox.http.post(
        f"{sandbox.instance_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": sandbox.credentials["client_id"],
            "client_secret": sandbox.credentials["client_secret"],
            "username": sandbox.credentials["username"],
            "password": sandbox.credentials["password"],
        },
    )
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_with_the_token_both_logins_work(sandbox: SandboxClient) -> None:
    creds = sandbox.credentials
    sf = oauth_login(sandbox, creds["password"] + creds["security_token"])
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1
    assert soap_login(sandbox, creds["security_token"])[1] == host(sandbox)


def test_from_a_trusted_range_the_bare_password_works(sandbox: SandboxClient) -> None:
    answer = sandbox.control("POST", "/trusted-ips", {"ranges": ["198.51.100.0/24"]})
    assert answer == {"ranges": ["198.51.100.0/24"]}
    with pytest.raises(SalesforceAuthenticationFailed):  # the tests' 127.0.0.1 is not in it
        soap_login(sandbox, "")
    sandbox.control("POST", "/trusted-ips", {"ranges": ["127.0.0.0/8", "::1"]})
    sf = oauth_login(sandbox, sandbox.credentials["password"])
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1
    assert soap_login(sandbox, "")[1] == host(sandbox)
    sandbox.control("POST", "/reset")  # a reset forgets the ranges
    assert sandbox.control("GET", "/trusted-ips") == {"ranges": []}
    with pytest.raises(SalesforceAuthenticationFailed):
        soap_login(sandbox, "")


def test_a_bad_range_is_refused_naming_it(sandbox: SandboxClient) -> None:
    reply = sandbox.http.post(
        f"{sandbox.instance_url}/__sandbox__/trusted-ips",
        json={"ranges": ["10.0.0.0/8", "ten"]},
        headers={"X-Sandbox-Token": sandbox.credentials.get("control_token") or ""},
    )
    assert reply.status_code == 400
    assert "'ten'" in reply.text
    assert sandbox.control("GET", "/trusted-ips") == {"ranges": []}
