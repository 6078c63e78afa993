"""One logged-in simple-salesforce handle, and the way every call is made through it.

`Connection.call(kind, operation)` is the single path to Salesforce:

    retry (tenacity, transient errors only)
      └─ attempt: count as `kind`; log in if not yet;
           run operation(sf) → simple-salesforce errors become CrmError
           on an expired session (401 INVALID_SESSION_ID): log in again ONCE, replay

Renewal is ours, not simple-salesforce's: we build its client from a session id ("direct
session"), so it raises SalesforceExpiredSession instead of silently logging in again, and the
same renew-and-replay works for every flow (httpx's `auth_flow` does the same).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceOperationError,
)

from leadbridge.errors import CrmError

from .auth import log_in
from .credentials import CrmCredentials
from .errors import from_bulk_error, from_salesforce_error, from_transport_error, redactor
from .retry import RetryPolicy
from .server_clock import ServerClock
from .session import ApiSession
from .usage import CallKind, UsageMeter

T = TypeVar("T")
log = logging.getLogger("leadbridge.salesforce")


class _SessionExpiredError(Exception):
    def __init__(self, error: CrmError) -> None:
        super().__init__(str(error))
        self.error = error


class Connection:
    def __init__(
        self,
        credentials: CrmCredentials,
        *,
        api_version: str,
        retry: RetryPolicy,
        timeout: float,
        meter: UsageMeter,
    ) -> None:
        if api_version.startswith("v"):
            raise ValueError("api_version is a number such as '59.0', without the 'v'")
        self.credentials = credentials
        self.api_version = api_version
        self.retry = retry
        self.meter = meter
        self.redact = redactor(credentials.secrets())
        self.server_clock = ServerClock()
        self.session = ApiSession(
            timeout=timeout,
            ca_file=credentials.ca_file,
            meter=meter,
            server_clock=self.server_clock,
        )
        self.logins = 0
        self._sf: Salesforce | None = None

    def __repr__(self) -> str:
        return f"Connection({self.credentials.login_url!r}, flow={self.credentials.flow!r})"

    @property
    def instance(self) -> str | None:
        return None if self._sf is None else str(self._sf.sf_instance)

    def logged_in(self) -> Salesforce:
        """The logged-in simple-salesforce client (logging in first if need be)."""
        return self._sf if self._sf is not None else self.login()

    def login(self) -> Salesforce:
        with self.meter.kind("login"):
            result = log_in(
                self.credentials, self.session, api_version=self.api_version, redact=self.redact
            )
        self._sf = Salesforce(
            session_id=result.session_id,
            instance=result.instance,
            session=self.session,
            version=self.api_version,
            object_pairs_hook=dict,
        )
        self.logins += 1
        return self._sf

    def call(
        self, kind: CallKind, operation: Callable[[Salesforce], T], *, replayable: bool = True
    ) -> T:
        """Run `operation` against the org, retried and with the session renewed if needed.
        `replayable=False` for calls that create records (see `RetryPolicy.call`)."""

        def attempt() -> T:
            with self.meter.kind(kind):
                sf = self._sf if self._sf is not None else self.login()
                try:
                    return self._run(operation, sf)
                except _SessionExpiredError:
                    log.info("Salesforce session expired; logging in again")
                renewed = self.login()
                try:
                    return self._run(operation, renewed)
                except _SessionExpiredError as again:  # renewed once: no loop
                    raise again.error from None

        return self.retry.call(attempt, replayable=replayable)

    def _run(self, operation: Callable[[Salesforce], T], sf: Salesforce) -> T:
        try:
            return operation(sf)
        except SalesforceExpiredSession as exc:
            raise _SessionExpiredError(from_salesforce_error(exc, redact=self.redact)) from None
        except SalesforceError as exc:
            raise from_salesforce_error(exc, redact=self.redact) from None
        except SalesforceOperationError as exc:
            raise from_bulk_error(exc, redact=self.redact) from None
        except requests.RequestException as exc:
            raise from_transport_error(exc, login_url=self.credentials.login_url) from None

    def close(self) -> None:
        self.session.close()


def json_result(value: Any) -> Any:
    """simple-salesforce's `restful` answers None for 204/empty bodies; callers want []."""
    return [] if value is None else value
