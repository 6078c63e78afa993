"""The sandbox org's credentials, access tokens and login flows, with no HTTP in sight.

The HTTP layer maps `OAuthError` to `{"error", "error_description"}` JSON, `SoapFault` to a SOAP
login fault and `SalesforceError` (from `TokenStore.check`) to the 401 `INVALID_SESSION_ID` array.
No message raised here contains a password, secret, token or assertion.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import random
import secrets
import string
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.soap import INVALID_LOGIN_MESSAGE, SoapFault

DEFAULT_USERNAME = "admin@sandbox.leadbridge.test"
DEFAULT_TOKEN_LIFETIME = timedelta(hours=2)
# Clock skew tolerated on a JWT's `exp`, in seconds.
JWT_LEEWAY_SECONDS = 30
MIN_RSA_KEY_BITS = 2048
# Salesforce's answers for a JWT whose `aud` is not the org's login URL, and for a password
# login Salesforce refuses (wrong password, or no security token from an untrusted address).
BAD_AUDIENCE = "audience is invalid"
AUTHENTICATION_FAILURE = "authentication failure"

IpRange = ipaddress.IPv4Network | ipaddress.IPv6Network

_ALNUM = string.ascii_letters + string.digits
# 70 random bytes make 94 URL-safe base64 characters, close to a real token's length.
_TOKEN_RANDOM_BYTES = 70
# Expired tokens are swept when the table doubles, so issuing stays amortised O(1).
_MIN_PURGE_THRESHOLD = 256


@dataclass(frozen=True)
class OrgCredentials:
    username: str
    password: str = field(repr=False)
    security_token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)

    @classmethod
    def generate(
        cls, rng: random.Random | None = None, username: str = DEFAULT_USERNAME
    ) -> OrgCredentials:
        """Fresh random credentials shaped like Salesforce's; deterministic when `rng` is given."""

        def pick(alphabet: str, length: int) -> str:
            if rng is None:
                return "".join(secrets.choice(alphabet) for _ in range(length))
            return "".join(rng.choice(alphabet) for _ in range(length))

        return cls(
            username=username,
            password=pick(_ALNUM, 16),
            security_token=pick(_ALNUM, 24),
            client_id="3MVG9" + pick(_ALNUM + "._", 80),
            client_secret=pick("0123456789ABCDEF", 64),
        )


@dataclass(frozen=True)
class AuthResult:
    user_id: str
    access_token: str = field(repr=False)


class OAuthError(Exception):
    """An OAuth token-endpoint failure: `{"error": error, "error_description": description}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class _Session:
    user_id: str
    last_used: datetime


class TokenStore:
    """Access tokens and their owners, expiring after `lifetime` without use.

    Expiry slides with each successful `check`, like Salesforce's inactivity timeout; `clock` is
    the org clock, so advancing it expires idle tokens. A lifetime change applies to live tokens.
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
        *,
        org_id: str,
    ) -> None:
        _check_lifetime(lifetime)
        self._clock = clock
        self._lifetime = lifetime
        self._org_id = org_id
        self._sessions: dict[str, _Session] = {}
        self._purge_threshold = _MIN_PURGE_THRESHOLD
        self._lock = threading.Lock()

    @property
    def lifetime(self) -> timedelta:
        with self._lock:
            return self._lifetime

    def issue(self, user_id: str) -> str:
        """A new token `<org id>!<random>`, unguessable whatever rng the rest of the org uses."""
        # token_urlsafe's alphabet is [A-Za-z0-9_-]; Salesforce's has `.` where it has `-`.
        random_part = secrets.token_urlsafe(_TOKEN_RANDOM_BYTES).replace("-", ".")
        token = f"{self._org_id}!AQ{random_part}"
        now = self._clock()
        with self._lock:
            if len(self._sessions) >= self._purge_threshold:
                self._purge_expired(now)
                self._purge_threshold = max(_MIN_PURGE_THRESHOLD, 2 * len(self._sessions))
            self._sessions[token] = _Session(user_id, now)
        return token

    def check(self, token: str) -> str:
        """The token's user id; raises 401 INVALID_SESSION_ID when unknown or expired."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None or self._expired(session, now):
                self._sessions.pop(token, None)
                raise invalid_session()
            session.last_used = max(session.last_used, now)
            return session.user_id

    def expire_all(self) -> None:
        with self._lock:
            self._sessions.clear()

    def revoke(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def set_lifetime(self, lifetime: timedelta) -> None:
        _check_lifetime(lifetime)
        with self._lock:
            self._lifetime = lifetime

    def active_count(self) -> int:
        now = self._clock()
        with self._lock:
            self._purge_expired(now)
            return len(self._sessions)

    def _expired(self, session: _Session, now: datetime) -> bool:
        return now >= session.last_used + self._lifetime

    def _purge_expired(self, now: datetime) -> None:
        stale = [token for token, s in self._sessions.items() if self._expired(s, now)]
        for token in stale:
            del self._sessions[token]


def invalid_session() -> SalesforceError:
    return SalesforceError("INVALID_SESSION_ID", "Session expired or invalid", status=401)


def _check_lifetime(lifetime: timedelta) -> None:
    if lifetime <= timedelta():
        raise ValueError("token lifetime must be positive")


class Authenticator:
    """Checks logins against the org's credentials and issues tokens from `token_store`.

    `user_lookup` maps a username to the id of an *active* user, or None. Only the credentials'
    user has a password; the JWT flow can log in any active user, as a pre-approved app can.
    """

    def __init__(
        self,
        credentials: OrgCredentials,
        token_store: TokenStore,
        user_lookup: Callable[[str], str | None],
        org_id: str,
        jwt_certificates: Iterable[str] = (),
    ) -> None:
        self.credentials = credentials
        self.token_store = token_store
        self.org_id = org_id
        self._user_lookup = user_lookup
        self._jwt_keys: list[rsa.RSAPublicKey] = []
        self._trusted: tuple[IpRange, ...] = ()
        self._lock = threading.Lock()
        for pem in jwt_certificates:
            self.add_jwt_certificate(pem)

    def set_trusted_ip_ranges(self, ranges: Iterable[str]) -> list[str]:
        """The org's trusted IP ranges (Setup > Network Access), as CIDR blocks or single
        addresses; a password without the security token is accepted only from them. Returns
        them normalised; raises ValueError naming a range that is not one."""
        parsed: list[IpRange] = []
        for text in ranges:
            try:
                parsed.append(ipaddress.ip_network(str(text).strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or CIDR range: {text!r}") from None
        with self._lock:
            self._trusted = tuple(parsed)
        return [str(network) for network in parsed]

    def trusted_ip_ranges(self) -> list[str]:
        with self._lock:
            return [str(network) for network in self._trusted]

    def is_trusted(self, client_ip: str | None) -> bool:
        """Whether `client_ip` is in the org's trusted IP ranges (None, unknown: no)."""
        if not client_ip:
            return False
        try:
            address = ipaddress.ip_address(client_ip.strip().strip("[]"))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        with self._lock:
            trusted = self._trusted
        return any(address in network for network in trusted)

    def add_jwt_certificate(self, pem: str) -> None:
        """Trust an RSA certificate or public key (PEM) for JWT bearer assertions."""
        key = _load_rsa_public_key(pem)
        with self._lock:
            self._jwt_keys.append(key)

    def password_grant(
        self,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        client_ip: str | None = None,
    ) -> AuthResult:
        self._check_client(client_id, client_secret)
        user_id = self._check_password(username, password, client_ip)
        if user_id is None:
            raise OAuthError("invalid_grant", AUTHENTICATION_FAILURE)
        return self._issue(user_id)

    def client_credentials_grant(self, client_id: str, client_secret: str) -> AuthResult:
        """Runs as the credentials' (admin) user, the connected app's "Run As" user."""
        self._check_client(client_id, client_secret)
        user_id = self._user_lookup(self.credentials.username)
        if user_id is None:
            raise OAuthError("invalid_grant", "no client credentials user enabled")
        return self._issue(user_id)

    def jwt_bearer_grant(self, assertion: str, audiences: Collection[str]) -> AuthResult:
        """Verify an RS256 assertion whose `aud` is one of `audiences` (the org's login URLs).

        `exp` is compared with real time, not the org clock: the client signs with its own clock.
        """
        claims = self._verified_claims(assertion, audiences)
        if not _same(str(claims["iss"]), self.credentials.client_id):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        user_id = self._user_lookup(str(claims["sub"]))
        if user_id is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return self._issue(user_id)

    def soap_login(self, username: str, password: str, client_ip: str | None = None) -> AuthResult:
        user_id = self._check_password(username, password, client_ip)
        if user_id is None:
            raise SoapFault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
        return self._issue(user_id)

    def token_response(
        self, result: AuthResult, instance_url: str, issued_at_ms: int
    ) -> dict[str, str]:
        """Salesforce's OAuth success body; `signature` is HMAC-SHA256(secret, id + issued_at)."""
        base = instance_url.rstrip("/")
        identity = f"{base}/id/{self.org_id}/{result.user_id}"
        issued_at = str(issued_at_ms)
        digest = hmac.new(
            self.credentials.client_secret.encode(),
            (identity + issued_at).encode(),
            hashlib.sha256,
        ).digest()
        return {
            "access_token": result.access_token,
            "instance_url": base,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
            "scope": "api",
        }

    def _check_client(self, client_id: str, client_secret: str) -> None:
        if not _same(client_id, self.credentials.client_id):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if not _same(client_secret, self.credentials.client_secret):
            raise OAuthError("invalid_client", "invalid client credentials")

    def _check_password(self, username: str, password: str, client_ip: str | None) -> str | None:
        """The active user's id when the password matches: followed by the security token, or
        alone when the caller's address is in the org's trusted IP ranges (as Salesforce)."""
        creds = self.credentials
        if username.strip().casefold() != creds.username.casefold():
            return None
        # `|`, not `or`: both comparisons always run, so timing does not tell which one matched.
        with_token = _same(password, creds.password + creds.security_token)
        bare = _same(password, creds.password) & self.is_trusted(client_ip)
        if not (with_token | bare):
            return None
        return self._user_lookup(creds.username)

    def _verified_claims(self, assertion: str, audiences: Collection[str]) -> dict[str, Any]:
        with self._lock:
            keys = list(self._jwt_keys)
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    assertion,
                    key,
                    algorithms=["RS256"],
                    audience=list(audiences),
                    options={"require": ["iss", "sub", "exp", "aud"]},
                    leeway=JWT_LEEWAY_SECONDS,
                )
            except jwt.InvalidSignatureError:
                continue
            except (jwt.InvalidAudienceError, jwt.MissingRequiredClaimError) as exc:
                if isinstance(exc, jwt.InvalidAudienceError) or exc.claim == "aud":
                    raise OAuthError("invalid_grant", BAD_AUDIENCE) from None
                break
            except jwt.PyJWTError:
                break
            return claims
        raise OAuthError("invalid_grant", "invalid assertion")

    def _issue(self, user_id: str) -> AuthResult:
        return AuthResult(user_id, self.token_store.issue(user_id))


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """`(client_id, client_secret)` from an `Authorization: Basic …` header, else None.

    simple-salesforce sends client-credentials this way; Salesforce's sample uses form fields.
    """
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    return (client_id, client_secret) if sep else None


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII text."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _load_rsa_public_key(pem: str) -> rsa.RSAPublicKey:
    data = pem.strip().encode()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ValueError("not a PEM certificate or public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("JWT bearer assertions are RS256: an RSA key is required")
    if key.key_size < MIN_RSA_KEY_BITS:
        raise ValueError(f"RSA keys shorter than {MIN_RSA_KEY_BITS} bits are not accepted")
    return key
