"""The one `requests.Session` every Salesforce call goes through (simple-salesforce's included).

- `trust_env = False`: otherwise REQUESTS_CA_BUNDLE (set on our machines) silently replaces
  `verify`, and proxy variables or .netrc would change where credentials are sent.
- `verify = ca_file` when a CA file is given (the sandbox's own CA).
- A timeout on every request: simple-salesforce passes none, and a hung socket would hang sync.
- The usage meter sees every request before it goes (budget check, counting) and every reply
  (the `Sforce-Limit-Info` header), whoever makes it: simple-salesforce, its bulk2, or us.
- The server clock sees every reply's `Date` header: Salesforce's time, for pull windows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from leadbridge.errors import ConfigurationError

from .server_clock import ServerClock
from .usage import UsageMeter


class ApiSession(requests.Session):
    def __init__(
        self,
        *,
        timeout: float,
        ca_file: str | None = None,
        meter: UsageMeter | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        super().__init__()
        self.trust_env = False
        if ca_file:
            if not Path(ca_file).is_file():
                raise ConfigurationError(f"the CA file {ca_file} does not exist")
            self.verify = ca_file
        self.timeout = timeout
        self.meter = meter
        self.server_clock = server_clock

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.meter is not None:
            self.meter.before_call()
        response = super().request(method, url, *args, **kwargs)
        if self.meter is not None:
            self.meter.after_response(response)
        if self.server_clock is not None:
            self.server_clock.observe(response.headers.get("Date"))
        return response
