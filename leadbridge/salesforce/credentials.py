"""How leadbridge logs in to a Salesforce org: login URL, flow, and the secrets the flow needs.

Secret values (password, security token, client secret, private key) are left out of `repr()` so
that a credentials object can be logged or shown in a traceback without leaking them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from leadbridge.errors import ConfigurationError

Flow = Literal["password", "client_credentials", "jwt"]
FLOWS: tuple[str, ...] = get_args(Flow)

SANDBOX_CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class CrmCredentials:
    """Everything needed to log in; `login_url` is where the login call goes (see `auth.py`)."""

    login_url: str
    flow: Flow = "client_credentials"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)  # PEM, for the JWT bearer flow
    ca_file: str | None = None  # a CA bundle to trust (the sandbox's own CA)
    # host:port of the org's Pub/Sub API (Change Data Capture); None: Salesforce's own
    pubsub_endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.flow not in FLOWS:
            raise ConfigurationError(
                f"unknown login flow {self.flow!r}; expected one of {', '.join(FLOWS)}"
            )
        missing = [name for name in _REQUIRED[self.flow] if not getattr(self, name)]
        if missing:
            raise ConfigurationError(
                f"the {self.flow} login flow needs {', '.join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} missing"
            )

    def secrets(self) -> tuple[str, ...]:
        """The secret values, so that error messages can be scrubbed of them."""
        values = (self.password, self.security_token, self.client_secret, self.private_key)
        found = [value for value in values if value]
        if self.password and self.security_token:
            found.append(self.password + self.security_token)
        return tuple(found)


_REQUIRED: dict[str, tuple[str, ...]] = {
    "password": ("username", "password"),
    "client_credentials": ("client_id", "client_secret"),
    "jwt": ("username", "client_id", "private_key"),
}


def from_sandbox_file(path: str | Path, *, flow: Flow = "client_credentials") -> CrmCredentials:
    """Credentials for the bundled sandbox org, from its `credentials.json` (or its data dir).

    The file's keys: instance_url, login_url, username, password, security_token, client_id,
    client_secret, ca_file. The JWT flow needs a private key the file does not hold, so it
    is not offered here.
    """
    file = Path(path)
    if file.is_dir():
        file = file / SANDBOX_CREDENTIALS_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no sandbox credentials file at {file}") from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot read the sandbox credentials file {file}: {exc}"
        ) from None
    if not isinstance(data, dict) or not data.get("login_url"):
        raise ConfigurationError(f"{file} is not a sandbox credentials file (no login_url)")
    if flow == "jwt":
        raise ConfigurationError("the sandbox credentials file holds no JWT private key")
    return CrmCredentials(
        login_url=str(data["login_url"]),
        flow=flow,
        username=data.get("username"),
        password=data.get("password"),
        security_token=data.get("security_token"),
        client_id=data.get("client_id"),
        client_secret=data.get("client_secret"),
        ca_file=data.get("ca_file"),
        pubsub_endpoint=data.get("pubsub_endpoint"),
    )
