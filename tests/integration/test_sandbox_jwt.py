"""JWT bearer login with unmodified simple-salesforce, against a certificate the org trusts."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from tests.conftest import SandboxClient
from tests.keys import key_and_certificate


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
