"""Logging in to the sandbox org by every flow, over real HTTPS."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadbridge.errors import CrmConfigurationError, CrmTransientError
from leadbridge.salesforce import CrmCredentials, SalesforceClient, from_sandbox_file
from tests.conftest import SandboxClient
from tests.integration.salesforce.conftest import FAST_RETRY, client_for, credentials_for
from tests.keys import key_and_certificate


def jwt_client(sandbox: SandboxClient, *, register: bool = True) -> SalesforceClient:
    private_key, certificate = key_and_certificate()
    if register:
        sandbox.control("POST", "/jwt-certificates", {"certificate": certificate})
    credentials = credentials_for(
        sandbox,
        "jwt",
        password=None,
        security_token=None,
        client_secret=None,
        private_key=private_key,
    )
    return SalesforceClient(credentials, retry=FAST_RETRY)


def soap_client(sandbox: SandboxClient) -> SalesforceClient:
    credentials = credentials_for(sandbox, "password", client_id=None, client_secret=None)
    return SalesforceClient(credentials, retry=FAST_RETRY)


@pytest.mark.parametrize("flow", ["client_credentials", "password_oauth", "password_soap", "jwt"])
def test_every_flow_logs_in_and_reads(sandbox: SandboxClient, flow: str) -> None:
    if flow == "jwt":
        client = jwt_client(sandbox)
    elif flow == "password_soap":
        client = soap_client(sandbox)
    elif flow == "password_oauth":
        client = client_for(sandbox, "password")
    else:
        client = client_for(sandbox)
    with client:
        client.connect()
        assert client.logins == 1
        assert client.instance == sandbox.instance_url.removeprefix("https://")
        users = client.users()
        assert [user.username for user in users] == [sandbox.credentials["username"]]
        assert client.usage().calls_by_kind == {"login": 1, "query": 1}


def test_sandbox_credentials_file(sandbox: SandboxClient) -> None:
    credentials = from_sandbox_file(Path(sandbox.ca_file).parent)
    with SalesforceClient(credentials, retry=FAST_RETRY) as client:
        client.connect()
        assert client.logins == 1


def test_requests_ca_bundle_does_not_override_the_ca_file(
    sandbox: SandboxClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bogus = tmp_path / "bundle.pem"
    bogus.write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # would break the call if honoured
    with client_for(sandbox) as client:
        client.connect()
        assert client.logins == 1
        assert client.users(active_only=True)  # a real call over the sandbox's TLS


def test_a_wrong_client_secret_is_a_configuration_error_without_the_secret(
    sandbox: SandboxClient,
) -> None:
    secret = "wrong-SECRET-value-123"
    credentials = credentials_for(sandbox, client_secret=secret)
    with pytest.raises(CrmConfigurationError) as failure, SalesforceClient(credentials) as client:
        client.connect()
    assert failure.value.error_code == "INVALID_CLIENT"
    assert secret not in str(failure.value) + repr(failure.value) + repr(failure.value.details)
    assert secret not in repr(client) + repr(credentials)


def test_a_wrong_password_by_soap(sandbox: SandboxClient) -> None:
    password = "nope-SECRET-pw"
    credentials = credentials_for(
        sandbox, "password", password=password, client_id=None, client_secret=None
    )
    with pytest.raises(CrmConfigurationError) as failure, SalesforceClient(credentials) as client:
        client.connect()
    assert failure.value.error_code == "INVALID_LOGIN"
    assert password not in str(failure.value)
    assert sandbox.credentials["security_token"] not in str(failure.value)


def test_jwt_signed_by_an_unregistered_key_is_refused(sandbox: SandboxClient) -> None:
    with (
        pytest.raises(CrmConfigurationError) as failure,
        jwt_client(sandbox, register=False) as client,
    ):
        client.connect()
    assert failure.value.error_code == "INVALID_GRANT"
    assert "PRIVATE KEY" not in str(failure.value)


def test_an_unreachable_org_is_transient(sandbox: SandboxClient) -> None:
    credentials = CrmCredentials(
        login_url="https://127.0.0.1:9", client_id="ck", client_secret="cs", ca_file=sandbox.ca_file
    )
    with (
        pytest.raises(CrmTransientError) as failure,
        SalesforceClient(credentials, retry=FAST_RETRY) as client,
    ):
        client.connect()
    assert failure.value.error_code == "CONNECTION_ERROR"
    assert client.usage().calls_by_kind["login"] == FAST_RETRY.attempts  # retried, then gave up


@pytest.mark.parametrize("flow", ["password_oauth", "password_soap"])
def test_a_password_without_the_token_outside_trusted_ranges_says_why(
    sandbox: SandboxClient, flow: str
) -> None:
    app = {} if flow == "password_oauth" else {"client_id": None, "client_secret": None}
    credentials = credentials_for(sandbox, "password", security_token=None, **app)
    with pytest.raises(CrmConfigurationError) as failure, SalesforceClient(credentials) as client:
        client.connect()
    assert failure.value.error_code == ("INVALID_GRANT" if app == {} else "INVALID_LOGIN")
    assert "no security token was given" in str(failure.value)
    assert "trusted IP ranges" in str(failure.value)
    assert sandbox.credentials["password"] not in str(failure.value)
    sandbox.control("POST", "/trusted-ips", {"ranges": ["127.0.0.1", "::1"]})
    with SalesforceClient(credentials, retry=FAST_RETRY) as trusted:
        trusted.connect()  # from a trusted address the password alone is enough
        assert trusted.logins == 1
