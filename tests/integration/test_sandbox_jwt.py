"""JWT bearer login against a certificate the org trusts, over real HTTPS: raw HTTP for the
assertion (its audience must be the sandbox's login URL) and unmodified simple-salesforce."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from tests.conftest import SandboxClient
from tests.keys import key_and_certificate

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def jwt_client(sandbox: SandboxClient, private_key: str) -> Salesforce:
    """simple-salesforce's own JWT login: its audience is `https://{domain}.salesforce.com`."""
    host = sandbox.instance_url.removeprefix("https://")
    return Salesforce(
        username=sandbox.credentials["username"],
        consumer_key=sandbox.credentials["client_id"],
        privatekey=private_key,
        domain=f"{host}/services/oauth2/token#",
        session=sandbox.session(),
    )


def post_assertion(
    sandbox: SandboxClient, private_key: str, url: str | None = None, **claims: Any
) -> requests.Response:
    claims = {
        "iss": sandbox.credentials["client_id"],
        "sub": sandbox.credentials["username"],
        "aud": sandbox.instance_url,
        "exp": int(time.time()) + 180,
        **claims,
    }
    assertion = jwt.encode(claims, private_key, algorithm="RS256")
    return sandbox.http.post(
        f"{url or sandbox.instance_url}/services/oauth2/token",
        data={"grant_type": JWT_GRANT, "assertion": assertion},
    )


@pytest.fixture
def private_key(sandbox: SandboxClient) -> str:
    key, certificate = key_and_certificate()
    sandbox.control("POST", "/jwt-certificates", {"certificate": certificate})
    return key


def test_jwt_bearer_login_with_the_login_url_as_audience(
    sandbox: SandboxClient, private_key: str
) -> None:
    reply = post_assertion(sandbox, private_key)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["instance_url"] == sandbox.instance_url
    sf = Salesforce(
        session_id=answer["access_token"],
        instance=sandbox.instance_url.removeprefix("https://"),
        session=sandbox.session(),
    )
    assert sf.query("SELECT Id FROM Organization")["totalSize"] == 1


def test_the_audience_may_be_the_url_the_request_was_sent_to(
    sandbox: SandboxClient, private_key: str
) -> None:
    """The sandbox answers on localhost and 127.0.0.1: the one a client logs in at counts,
    as an org's My Domain login URL does."""
    other = sandbox.instance_url.replace("localhost", "127.0.0.1")
    reply = post_assertion(sandbox, private_key, url=other, aud=other)
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    "aud",
    [
        "https://login.salesforce.com",
        "https://test.salesforce.com",
        "{url}/",
        "{url}/services/oauth2/token",
        "https://localhost:1",
    ],
)
def test_a_wrong_audience_is_refused_as_salesforce_does(
    sandbox: SandboxClient, private_key: str, aud: str
) -> None:
    reply = post_assertion(sandbox, private_key, aud=aud.format(url=sandbox.instance_url))
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "audience is invalid"}


def test_simple_salesforce_own_jwt_login_names_a_salesforce_audience(
    sandbox: SandboxClient, private_key: str
) -> None:
    """Through the fragment trick simple-salesforce signs `aud` = `https://HOST/...#.salesforce
    .com`: not the sandbox's login URL, so refused (leadbridge signs its own assertion)."""
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        jwt_client(sandbox, private_key)
    assert "invalid_grant" in str(failure.value)
    assert "audience is invalid" in str(failure.value)


def test_jwt_signed_by_an_unknown_key_is_refused(sandbox: SandboxClient) -> None:
    private_key, _ = key_and_certificate()
    reply = post_assertion(sandbox, private_key)
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
