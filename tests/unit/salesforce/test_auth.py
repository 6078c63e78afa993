"""Credentials, login URL → simple-salesforce `domain`, and the login each flow uses (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from leadbridge.errors import ConfigurationError, CrmConfigurationError
from leadbridge.salesforce import CrmCredentials, from_sandbox_file, login_domain
from leadbridge.salesforce.auth import jwt_audience, login_arguments, login_hint

SECRETS = {
    "password": "pw-SECRET-1",
    "security_token": "tok-SECRET-2",
    "client_secret": "cs-SECRET-3",
    "private_key": "-----BEGIN PRIVATE KEY-----SECRET-4",
}


@pytest.mark.parametrize(
    ("url", "endpoint", "domain"),
    [
        ("https://login.salesforce.com", "oauth", "login"),
        ("https://login.salesforce.com/", "soap", "login"),
        ("https://test.salesforce.com", "oauth", "test"),
        ("https://acme.my.salesforce.com", "oauth", "acme.my"),
        ("https://ACME--uat.sandbox.my.salesforce.com", "soap", "acme--uat.sandbox.my"),
        ("https://localhost:8443", "oauth", "localhost:8443/services/oauth2/token#"),
        ("https://localhost:8443", "soap", "localhost:8443/services/Soap/u/59.0#"),
        ("https://proxy.example/sf/", "oauth", "proxy.example/sf/services/oauth2/token#"),
        (
            "https://acme.my.salesforce.com:8443",
            "oauth",
            "acme.my.salesforce.com:8443/services/oauth2/token#",
        ),
    ],
)
def test_login_domain(url: str, endpoint: str, domain: str) -> None:
    assert login_domain(url, endpoint) == domain  # type: ignore[arg-type]


def test_soap_login_stays_on_an_api_version_that_has_it() -> None:
    assert login_domain("https://h:1", "soap", api_version="66.0") == "h:1/services/Soap/u/64.0#"


@pytest.mark.parametrize(
    "url",
    [
        "http://login.salesforce.com",
        "login.salesforce.com",
        "https://u:p@h.example",
        "https://h/#x",
    ],
)
def test_bad_login_urls(url: str) -> None:
    with pytest.raises(ConfigurationError):
        login_domain(url)


def test_repr_never_shows_secrets() -> None:
    credentials = CrmCredentials(
        login_url="https://login.salesforce.com",
        flow="password",
        username="admin@example.com",
        client_id="ck",
        **SECRETS,
    )
    text = repr(credentials) + str(credentials)
    assert "admin@example.com" in text
    for secret in SECRETS.values():
        assert secret not in text
    assert set(credentials.secrets()) >= set(SECRETS.values())


def test_each_flow_needs_its_values() -> None:
    with pytest.raises(ConfigurationError, match="client_secret"):
        CrmCredentials(login_url="https://x.my.salesforce.com", client_id="ck")
    with pytest.raises(ConfigurationError, match="private_key"):
        CrmCredentials(
            login_url="https://login.salesforce.com", flow="jwt", username="u", client_id="c"
        )
    with pytest.raises(ConfigurationError, match="unknown login flow"):
        CrmCredentials(login_url="https://x", flow="magic")  # type: ignore[arg-type]


def test_password_flow_uses_soap_without_a_client_id() -> None:
    credentials = CrmCredentials(
        login_url="https://test.salesforce.com",
        flow="password",
        username="u",
        password="p",
        security_token="t",
    )
    arguments = login_arguments(credentials, api_version="59.0")
    assert arguments["domain"] == "test"
    assert arguments["security_token"] == "t"
    assert "consumer_key" not in arguments


def test_password_flow_uses_oauth_with_a_client_id() -> None:
    credentials = CrmCredentials(
        login_url="https://login.salesforce.com",
        flow="password",
        username="u",
        password="p",
        security_token="t",
        client_id="ck",
        client_secret="cs",
    )
    arguments = login_arguments(credentials, api_version="59.0")
    assert arguments["password"] == "pt"
    assert arguments["consumer_key"] == "ck"
    assert "security_token" not in arguments


def test_client_credentials_need_a_my_domain() -> None:
    generic = CrmCredentials(
        login_url="https://login.salesforce.com", client_id="c", client_secret="s"
    )
    with pytest.raises(ConfigurationError, match="My Domain"):
        login_arguments(generic, api_version="59.0")
    mine = CrmCredentials(
        login_url="https://acme.my.salesforce.com", client_id="c", client_secret="s"
    )
    assert login_arguments(mine, api_version="59.0")["domain"] == "acme.my"


def test_jwt_on_a_my_domain_sends_the_token_there_with_a_standard_audience() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()

    def arguments(url: str) -> dict[str, object]:
        credentials = CrmCredentials(
            login_url=url, flow="jwt", username="u", client_id="c", private_key=pem
        )
        return login_arguments(credentials, api_version="59.0")

    my_domain = arguments("https://acme.my.salesforce.com")
    assert my_domain["token_url"] == "https://acme.my.salesforce.com/services/oauth2/token"
    assert my_domain["audience"] == "https://login.salesforce.com"
    assert arguments("https://acme--uat.sandbox.my.salesforce.com")["audience"] == (
        "https://test.salesforce.com"
    )
    assert arguments("https://test.salesforce.com")["token_url"] == (
        "https://test.salesforce.com/services/oauth2/token"
    )


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://login.salesforce.com/", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://fun-dev-123.scratch.my.salesforce.com", "https://test.salesforce.com"),
        ("https://localhost:8443", "https://localhost:8443"),  # the sandbox: its login URL
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443"),
        ("https://acme.my.site.com/customers", "https://acme.my.site.com/customers"),
    ],
)
def test_jwt_audience_for_each_login_url(login_url: str, audience: str) -> None:
    assert jwt_audience(login_url) == audience


def test_jwt_with_a_bad_key_says_so_without_the_key() -> None:
    credentials = CrmCredentials(
        login_url="https://login.salesforce.com",
        flow="jwt",
        username="u",
        client_id="c",
        private_key="not a PEM SECRET-KEY-MATERIAL",
    )
    with pytest.raises(CrmConfigurationError) as failure:
        login_arguments(credentials, api_version="59.0")
    assert failure.value.error_code == "INVALID_PRIVATE_KEY"
    assert "SECRET-KEY-MATERIAL" not in str(failure.value)


def test_from_sandbox_file(tmp_path: Path) -> None:
    data = {
        "instance_url": "https://localhost:9999",
        "login_url": "https://localhost:9999",
        "username": "admin@sandbox.leadbridge.test",
        "password": "p",
        "security_token": "t",
        "client_id": "ck",
        "client_secret": "cs",
        "ca_file": "/tmp/ca.pem",
    }
    (tmp_path / "credentials.json").write_text(json.dumps(data))
    from_dir = from_sandbox_file(tmp_path)
    assert from_dir == from_sandbox_file(tmp_path / "credentials.json")
    assert from_dir.flow == "client_credentials"
    assert from_dir.login_url == "https://localhost:9999"
    assert from_dir.ca_file == "/tmp/ca.pem"
    assert from_sandbox_file(tmp_path, flow="password").security_token == "t"
    with pytest.raises(ConfigurationError, match="no sandbox credentials"):
        from_sandbox_file(tmp_path / "nope")


def test_login_hints_name_the_likely_cause() -> None:
    bare = CrmCredentials(
        login_url="https://login.salesforce.com", flow="password", username="u", password="p",
        client_id="c", client_secret="s",
    )  # fmt: skip
    assert "no security token" in (login_hint(bare, "authentication failure") or "")
    with_token = CrmCredentials(
        login_url="https://login.salesforce.com", flow="password", username="u", password="p",
        security_token="t",
    )  # fmt: skip
    assert login_hint(with_token, "Invalid username, password, security token") is None
    signed = CrmCredentials(
        login_url="https://acme.my.salesforce.com", flow="jwt", username="u", client_id="c",
        private_key="k",
    )  # fmt: skip
    hint = login_hint(signed, "audience is invalid") or ""
    assert "https://login.salesforce.com" in hint and "https://acme.my.salesforce.com" in hint
    assert login_hint(signed, "invalid assertion") is None
