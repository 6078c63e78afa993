from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from leadbridge.sandbox.auth import (
    Authenticator,
    AuthResult,
    OAuthError,
    OrgCredentials,
    TokenStore,
    basic_credentials,
)
from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.soap import SoapFault

ORG_ID = "00D5g0000000001AAA"
ADMIN_ID = "0055g000000001AAAA"
OTHER_ID = "0055g000000002AAAA"
OTHER_USER = "other@sandbox.leadbridge.test"
LOGIN_URL = "https://localhost:8443"  # the audience a JWT must name


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _certificate_pem(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwt signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def creds() -> OrgCredentials:
    return OrgCredentials.generate(random.Random(7))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> TokenStore:
    return TokenStore(clock, org_id=ORG_ID)


@pytest.fixture
def auth(creds: OrgCredentials, store: TokenStore) -> Authenticator:
    users = {creds.username.lower(): ADMIN_ID, OTHER_USER: OTHER_ID}
    return Authenticator(creds, store, lambda name: users.get(name.lower()), ORG_ID)


def _assertion(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    """An RS256 assertion; `aud` is the sandbox's login URL unless given."""
    claims.setdefault("aud", LOGIN_URL)
    return jwt.encode(claims, _private_pem(key), algorithm="RS256")


def _oauth_error(info: pytest.ExceptionInfo[OAuthError]) -> tuple[str, str, int]:
    return info.value.error, info.value.description, info.value.status


# --- credentials -----------------------------------------------------------------------------


def test_generate_is_deterministic_with_rng_and_random_without() -> None:
    assert OrgCredentials.generate(random.Random(1)) == OrgCredentials.generate(random.Random(1))
    assert OrgCredentials.generate() != OrgCredentials.generate()
    creds = OrgCredentials.generate(username="x@example.com")
    assert creds.username == "x@example.com"
    assert len(creds.security_token) == 24
    assert creds.client_id.startswith("3MVG9")


def test_credentials_repr_hides_secrets(creds: OrgCredentials) -> None:
    text = repr(creds)
    assert creds.client_id in text
    for secret in (creds.password, creds.security_token, creds.client_secret):
        assert secret not in text


# --- tokens ----------------------------------------------------------------------------------


def test_token_format_and_check(store: TokenStore) -> None:
    token = store.issue(ADMIN_ID)
    org, _, rest = token.partition("!")
    assert org == ORG_ID
    assert re.fullmatch(r"[A-Za-z0-9._]{90,100}", rest)
    assert store.check(token) == ADMIN_ID
    assert store.issue(ADMIN_ID) != token


def _assert_invalid_session(store: TokenStore, token: str) -> None:
    with pytest.raises(SalesforceError) as info:
        store.check(token)
    assert info.value.error_code == "INVALID_SESSION_ID"
    assert info.value.message == "Session expired or invalid"
    assert info.value.status == 401
    assert token not in str(info.value)


def test_unknown_token_is_invalid(store: TokenStore) -> None:
    _assert_invalid_session(store, f"{ORG_ID}!AQnotatoken")


def test_token_expires_after_idle_lifetime(store: TokenStore, clock: FakeClock) -> None:
    token = store.issue(ADMIN_ID)
    clock.advance(timedelta(hours=1, minutes=59))
    assert store.check(token) == ADMIN_ID
    clock.advance(timedelta(hours=1, minutes=59))
    assert store.check(token) == ADMIN_ID  # use slides the expiry
    clock.advance(timedelta(hours=2))
    _assert_invalid_session(store, token)
    assert store.active_count() == 0


def test_set_lifetime_applies_to_live_tokens(store: TokenStore, clock: FakeClock) -> None:
    token = store.issue(ADMIN_ID)
    store.set_lifetime(timedelta(seconds=30))
    assert store.lifetime == timedelta(seconds=30)
    clock.advance(timedelta(seconds=31))
    _assert_invalid_session(store, token)
    with pytest.raises(ValueError):
        store.set_lifetime(timedelta())


def test_expire_all_and_revoke(store: TokenStore) -> None:
    first, second, third = (store.issue(ADMIN_ID) for _ in range(3))
    store.revoke(first)
    _assert_invalid_session(store, first)
    assert store.check(second) == ADMIN_ID
    store.expire_all()
    _assert_invalid_session(store, second)
    _assert_invalid_session(store, third)
    assert store.check(store.issue(OTHER_ID)) == OTHER_ID


def test_token_store_is_thread_safe(store: TokenStore) -> None:
    tokens: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(200):
            token = store.issue(ADMIN_ID)
            assert store.check(token) == ADMIN_ID
            with lock:
                tokens.append(token)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 800
    assert store.active_count() == 800


# --- password grant and SOAP login -----------------------------------------------------------


def test_password_grant(auth: Authenticator, creds: OrgCredentials) -> None:
    password = creds.password + creds.security_token
    result = auth.password_grant(creds.client_id, creds.client_secret, creds.username, password)
    assert result.user_id == ADMIN_ID
    assert auth.token_store.check(result.access_token) == ADMIN_ID


@pytest.mark.parametrize("client_ip", [None, "127.0.0.1", "203.0.113.9", "not an address"])
def test_a_password_without_the_token_is_refused_outside_trusted_ranges(
    auth: Authenticator, creds: OrgCredentials, client_ip: str | None
) -> None:
    args = (creds.client_id, creds.client_secret, creds.username, creds.password, client_ip)
    with pytest.raises(OAuthError) as info:
        auth.password_grant(*args)
    assert _oauth_error(info) == ("invalid_grant", "authentication failure", 400)
    with pytest.raises(SoapFault) as fault:
        auth.soap_login(creds.username, creds.password, client_ip)
    assert fault.value.code == "INVALID_LOGIN"
    auth.set_trusted_ip_ranges(["198.51.100.0/24"])  # trusting others changes nothing
    with pytest.raises(OAuthError):
        auth.password_grant(*args)


@pytest.mark.parametrize("client_ip", ["10.1.2.3", "::ffff:10.1.2.3", "2001:db8::7"])
def test_a_password_without_the_token_is_accepted_from_a_trusted_range(
    auth: Authenticator, creds: OrgCredentials, client_ip: str
) -> None:
    assert auth.set_trusted_ip_ranges(["10.0.0.0/8", " 2001:db8::/32", "192.0.2.1"]) == [
        "10.0.0.0/8",
        "2001:db8::/32",
        "192.0.2.1/32",
    ]
    bare = (creds.client_id, creds.client_secret, creds.username, creds.password, client_ip)
    assert auth.password_grant(*bare).user_id == ADMIN_ID
    assert auth.soap_login(creds.username, creds.password, client_ip).user_id == ADMIN_ID
    with_token = creds.password + creds.security_token  # the token is still accepted there
    assert auth.soap_login(creds.username, with_token, client_ip).user_id == ADMIN_ID
    with pytest.raises(OAuthError):  # a wrong password is wrong from anywhere
        auth.password_grant(creds.client_id, creds.client_secret, creds.username, "x", client_ip)


def test_trusted_ranges_must_be_addresses(auth: Authenticator) -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33'")):
        auth.set_trusted_ip_ranges(["10.0.0.0/33"])
    assert auth.trusted_ip_ranges() == []


def test_password_grant_username_is_case_insensitive(
    auth: Authenticator, creds: OrgCredentials
) -> None:
    result = auth.password_grant(
        creds.client_id,
        creds.client_secret,
        creds.username.upper(),
        creds.password + creds.security_token,
    )
    assert result.user_id == ADMIN_ID


@pytest.mark.parametrize(
    ("field_name", "expected"),
    [
        ("client_id", ("invalid_client_id", "client identifier invalid", 400)),
        ("client_secret", ("invalid_client", "invalid client credentials", 400)),
        ("username", ("invalid_grant", "authentication failure", 400)),
        ("password", ("invalid_grant", "authentication failure", 400)),
    ],
)
def test_password_grant_failures(
    auth: Authenticator,
    creds: OrgCredentials,
    field_name: str,
    expected: tuple[str, str, int],
) -> None:
    args = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "username": creds.username,
        "password": creds.password,
    }
    args[field_name] = "wrong-" + args[field_name]
    with pytest.raises(OAuthError) as info:
        auth.password_grant(**args)
    assert _oauth_error(info) == expected
    assert creds.password not in str(info.value)
    assert info.value.body() == {"error": expected[0], "error_description": expected[1]}


def test_password_grant_for_inactive_admin_fails(creds: OrgCredentials, store: TokenStore) -> None:
    auth = Authenticator(creds, store, lambda name: None, ORG_ID)
    with pytest.raises(OAuthError) as info:
        auth.password_grant(creds.client_id, creds.client_secret, creds.username, creds.password)
    assert info.value.error == "invalid_grant"


def test_soap_login(auth: Authenticator, creds: OrgCredentials) -> None:
    result = auth.soap_login(creds.username, creds.password + creds.security_token)
    assert result.user_id == ADMIN_ID


@pytest.mark.parametrize("which", ["username", "password"])
def test_soap_login_failure(auth: Authenticator, creds: OrgCredentials, which: str) -> None:
    username = "nobody@example.com" if which == "username" else creds.username
    password = "nope" if which == "password" else creds.password
    with pytest.raises(SoapFault) as info:
        auth.soap_login(username, password)
    assert info.value.code == "INVALID_LOGIN"
    assert info.value.message == "Invalid username, password, security token; or user locked out."


# --- client credentials ----------------------------------------------------------------------


def test_client_credentials_runs_as_admin(auth: Authenticator, creds: OrgCredentials) -> None:
    result = auth.client_credentials_grant(creds.client_id, creds.client_secret)
    assert result.user_id == ADMIN_ID


def test_client_credentials_failures(auth: Authenticator, creds: OrgCredentials) -> None:
    with pytest.raises(OAuthError) as info:
        auth.client_credentials_grant("nope", creds.client_secret)
    assert info.value.error == "invalid_client_id"
    with pytest.raises(OAuthError) as info:
        auth.client_credentials_grant(creds.client_id, "nope")
    assert info.value.error == "invalid_client"


def test_basic_credentials() -> None:
    header = "Basic " + base64.b64encode(b"ck:c:s").decode()
    assert basic_credentials(header) == ("ck", "c:s")
    assert basic_credentials(None) is None
    assert basic_credentials("Bearer abc") is None
    assert basic_credentials("Basic !!!") is None
    assert basic_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None


# --- JWT bearer ------------------------------------------------------------------------------


def _future() -> int:
    return int(time.time()) + 180


@pytest.mark.parametrize("pem_kind", ["certificate", "public_key"])
def test_jwt_bearer_grant(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey, pem_kind: str
) -> None:
    pem = _certificate_pem(rsa_key) if pem_kind == "certificate" else _public_pem(rsa_key)
    auth.add_jwt_certificate(pem)
    assertion = _assertion(
        rsa_key, iss=creds.client_id, sub=OTHER_USER, aud=LOGIN_URL, exp=_future()
    )
    assert auth.jwt_bearer_grant(assertion, [LOGIN_URL]).user_id == OTHER_ID


def test_jwt_with_several_registered_keys(
    creds: OrgCredentials,
    store: TokenStore,
    rsa_key: rsa.RSAPrivateKey,
    other_rsa_key: rsa.RSAPrivateKey,
) -> None:
    auth = Authenticator(
        creds,
        store,
        lambda name: ADMIN_ID,
        ORG_ID,
        jwt_certificates=[_public_pem(other_rsa_key), _certificate_pem(rsa_key)],
    )
    assertion = _assertion(rsa_key, iss=creds.client_id, sub=creds.username, exp=_future())
    assert auth.jwt_bearer_grant(assertion, [LOGIN_URL]).user_id == ADMIN_ID


def test_jwt_from_simple_salesforce_names_a_salesforce_audience_and_is_refused(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    """simple-salesforce always names `https://{domain}.salesforce.com`: with the fragment
    trick that is not the sandbox's login URL, and the sandbox refuses it as Salesforce does."""
    auth.add_jwt_certificate(_certificate_pem(rsa_key))

    @dataclass
    class Response:
        status_code: int
        body: dict[str, str]

        def json(self) -> dict[str, str]:
            return self.body

    @dataclass
    class Session:
        posted: list[dict[str, str]] = field(default_factory=list)

        def post(self, url: str, data: dict[str, str], **_: Any) -> Response:
            self.posted.append(data)
            try:
                result = auth.jwt_bearer_grant(data["assertion"], [LOGIN_URL])
            except OAuthError as exc:
                return Response(exc.status, exc.body())
            body = auth.token_response(result, LOGIN_URL, 1_700_000_000_000)
            return Response(200, body)

    session = Session()
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        SalesforceLogin(
            username=creds.username,
            consumer_key=creds.client_id,
            privatekey=_private_pem(rsa_key),
            domain="localhost:8443/services/oauth2/token#",
            session=session,  # type: ignore[arg-type]
        )
    assert "audience is invalid" in str(failure.value)
    claims = jwt.decode(session.posted[0]["assertion"], options={"verify_signature": False})
    assert isinstance(claims["exp"], str)  # simple-salesforce sends `exp` as a string: accepted
    assert claims["aud"] == "https://localhost:8443/services/oauth2/token#.salesforce.com"


@pytest.mark.parametrize(
    "aud",
    [
        "https://login.salesforce.com",  # a real org's audience, not the sandbox's
        "https://test.salesforce.com",
        LOGIN_URL + "/",  # compared exactly
        LOGIN_URL + "/services/oauth2/token",
        "https://localhost:9999",
        "",
    ],
)
def test_jwt_audience_must_be_the_login_url(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey, aud: str
) -> None:
    auth.add_jwt_certificate(_public_pem(rsa_key))
    assertion = _assertion(rsa_key, iss=creds.client_id, sub=creds.username, exp=_future(), aud=aud)
    with pytest.raises(OAuthError) as info:
        auth.jwt_bearer_grant(assertion, [LOGIN_URL])
    assert _oauth_error(info) == ("invalid_grant", "audience is invalid", 400)


def test_jwt_without_an_audience_is_refused(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth.add_jwt_certificate(_public_pem(rsa_key))
    claims = {"iss": creds.client_id, "sub": creds.username, "exp": _future()}
    assertion = jwt.encode(claims, _private_pem(rsa_key), algorithm="RS256")
    with pytest.raises(OAuthError) as info:
        auth.jwt_bearer_grant(assertion, [LOGIN_URL])
    assert _oauth_error(info) == ("invalid_grant", "audience is invalid", 400)


def test_jwt_audience_may_be_any_of_the_login_urls(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth.add_jwt_certificate(_public_pem(rsa_key))
    other = "https://127.0.0.1:8443"
    assertion = _assertion(
        rsa_key, iss=creds.client_id, sub=creds.username, exp=_future(), aud=other
    )
    assert auth.jwt_bearer_grant(assertion, [LOGIN_URL, other]).user_id == ADMIN_ID


def test_jwt_without_registered_key_is_invalid(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    assertion = _assertion(rsa_key, iss=creds.client_id, sub=creds.username, exp=_future())
    with pytest.raises(OAuthError) as info:
        auth.jwt_bearer_grant(assertion, [LOGIN_URL])
    assert _oauth_error(info) == ("invalid_grant", "invalid assertion", 400)


@pytest.mark.parametrize(
    "case",
    ["wrong_key", "expired", "no_exp", "garbage", "hs256"],
)
def test_jwt_invalid_assertions(
    auth: Authenticator,
    creds: OrgCredentials,
    rsa_key: rsa.RSAPrivateKey,
    other_rsa_key: rsa.RSAPrivateKey,
    case: str,
) -> None:
    auth.add_jwt_certificate(_public_pem(rsa_key))
    claims: dict[str, Any] = {"iss": creds.client_id, "sub": creds.username, "exp": _future()}
    makers: dict[str, Callable[[], str]] = {
        "wrong_key": lambda: _assertion(other_rsa_key, **claims),
        "expired": lambda: _assertion(rsa_key, **{**claims, "exp": int(time.time()) - 120}),
        "no_exp": lambda: _assertion(rsa_key, iss=creds.client_id, sub=creds.username),
        "garbage": lambda: "not.a.jwt",
        "hs256": lambda: jwt.encode(claims, "k" * 32, algorithm="HS256"),
    }
    assertion = makers[case]()
    with pytest.raises(OAuthError) as info:
        auth.jwt_bearer_grant(assertion, [LOGIN_URL])
    assert _oauth_error(info) == ("invalid_grant", "invalid assertion", 400)


def test_jwt_exp_has_small_leeway(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth.add_jwt_certificate(_public_pem(rsa_key))
    exp = int(time.time()) - 5
    assertion = _assertion(rsa_key, iss=creds.client_id, sub=creds.username, exp=exp)
    assert auth.jwt_bearer_grant(assertion, [LOGIN_URL]).user_id == ADMIN_ID


def test_jwt_wrong_issuer_and_unknown_subject(
    auth: Authenticator, creds: OrgCredentials, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth.add_jwt_certificate(_public_pem(rsa_key))
    wrong_iss = _assertion(rsa_key, iss="someone-else", sub=creds.username, exp=_future())
    with pytest.raises(OAuthError) as info:
        auth.jwt_bearer_grant(wrong_iss, [LOGIN_URL])
    assert _oauth_error(info) == ("invalid_client_id", "client identifier invalid", 400)
    unknown = _assertion(rsa_key, iss=creds.client_id, sub="ghost@example.com", exp=_future())
    with pytest.raises(OAuthError) as info:
        auth.jwt_bearer_grant(unknown, [LOGIN_URL])
    assert _oauth_error(info) == ("invalid_grant", "user hasn't approved this consumer", 400)


def test_add_jwt_certificate_rejects_unusable_keys(auth: Authenticator) -> None:
    with pytest.raises(ValueError):
        auth.add_jwt_certificate("not a pem")
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    ec_pem = ec_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with pytest.raises(ValueError):
        auth.add_jwt_certificate(ec_pem)


# --- token response --------------------------------------------------------------------------


def test_token_response(auth: Authenticator, creds: OrgCredentials) -> None:
    result = AuthResult(ADMIN_ID, f"{ORG_ID}!AQtoken")
    body = auth.token_response(result, "https://localhost:8443/", 1_700_000_000_123)
    identity = f"https://localhost:8443/id/{ORG_ID}/{ADMIN_ID}"
    expected_signature = base64.b64encode(
        hmac.new(
            creds.client_secret.encode(), (identity + "1700000000123").encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert body == {
        "access_token": f"{ORG_ID}!AQtoken",
        "instance_url": "https://localhost:8443",
        "id": identity,
        "token_type": "Bearer",
        "issued_at": "1700000000123",
        "signature": expected_signature,
        "scope": "api",
    }


def test_auth_result_repr_hides_token() -> None:
    assert "secret-token" not in repr(AuthResult(ADMIN_ID, "secret-token"))
