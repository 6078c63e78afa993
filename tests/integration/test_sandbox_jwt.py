"""JWT bearer login with unmodified simple-salesforce, against a certificate the org trusts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from tests.conftest import SandboxClient


def key_and_certificate() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "connected app")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, certificate.public_bytes(serialization.Encoding.PEM).decode()


def jwt_client(sandbox: SandboxClient, private_key: str) -> Salesforce:
    host = sandbox.instance_url.removeprefix("https://")
    return Salesforce(
        username=sandbox.credentials["username"],
        consumer_key=sandbox.credentials["client_id"],
        privatekey=private_key,
        domain=f"{host}/services/oauth2/token#",
        session=sandbox.session(),
    )


def test_jwt_bearer_login_with_a_registered_certificate(sandbox: SandboxClient) -> None:
    private_key, certificate = key_and_certificate()
    sandbox.control("POST", "/jwt-certificates", {"certificate": certificate})
    sf = jwt_client(sandbox, private_key)
    assert sf.query("SELECT Id FROM Organization")["totalSize"] == 1


def test_jwt_signed_by_an_unknown_key_is_refused(sandbox: SandboxClient) -> None:
    private_key, _ = key_and_certificate()
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        jwt_client(sandbox, private_key)
    assert "invalid_grant" in str(failure.value)
