"""Salesforce's ways of saying no, turned into leadbridge's CrmError groups.

Salesforce reports errors in four shapes: REST arrays `[{"errorCode", "message", "fields"}]`,
collection items `{"statusCode", "message", "fields"}`, OAuth `{"error", "error_description"}`
and SOAP faults (which simple-salesforce turns into SalesforceAuthenticationFailed). Every
one keeps its code, message, fields and HTTP status. Messages come from the server, and are
scrubbed of the credentials' secret values all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceOperationError,
)
from urllib3.exceptions import NewConnectionError

from leadbridge.errors import (
    CrmError,
    crm_error,
)

Redactor = Callable[[str], str]


def no_redaction(text: str) -> str:
    return text


def redactor(secrets: Iterable[str]) -> Redactor:
    """A function that replaces each secret value in a text with `***` (longest first)."""
    values = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def redact(text: str) -> str:
        for secret in values:
            text = text.replace(secret, "***")
        return text

    return redact


def make_error(
    code: str,
    message: str,
    *,
    fields: list[str] | None = None,
    status: int | None = None,
    details: dict[str, Any] | None = None,
    redact: Redactor = no_redaction,
) -> CrmError:
    """`crm_error(...)` with the message scrubbed of secrets."""
    return crm_error(code, redact(message), fields=fields, status=status, details=details)


def from_error_item(
    item: Mapping[str, Any], *, status: int | None = None, redact: Redactor = no_redaction
) -> CrmError:
    """One error object: REST (`errorCode`) or collection (`statusCode`) spelling."""
    code = str(item.get("errorCode") or item.get("statusCode") or "UNKNOWN_ERROR")
    fields = [str(name) for name in item.get("fields") or []]
    extra = {
        key: value
        for key, value in item.items()
        if key not in {"errorCode", "statusCode", "message", "fields"}
    }
    return make_error(
        code,
        str(item.get("message") or code),
        fields=fields,
        status=status,
        details=extra or None,
        redact=redact,
    )


def from_body(body: Any, status: int | None, *, redact: Redactor = no_redaction) -> CrmError:
    """An error response body in any of Salesforce's shapes (or plain text)."""
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        error = from_error_item(body[0], status=status, redact=redact)
        if len(body) > 1:
            error.details["more_errors"] = [
                from_error_item(item, status=status, redact=redact)
                for item in body[1:]
                if isinstance(item, Mapping)
            ]
        return error
    if isinstance(body, Mapping) and "error" in body:  # OAuth
        return make_error(
            str(body["error"]).upper(),
            str(body.get("error_description") or body["error"]),
            status=status,
            redact=redact,
        )
    if status == 300:
        count = len(body) if isinstance(body, list) else "several"
        return make_error(
            "MULTIPLE_RECORDS",
            f"the external ID matches {count} records",
            status=status,
            details={"matches": body} if isinstance(body, list) else None,
        )
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = " ".join(str(body or "").split())[:500]
    return make_error(
        f"HTTP_{status}" if status else "UNKNOWN_ERROR",
        text or f"Salesforce answered HTTP {status} with no explanation",
        status=status,
        redact=redact,
    )


def from_auth_failure(
    exc: SalesforceAuthenticationFailed, *, redact: Redactor = no_redaction
) -> CrmError:
    """A failed login (OAuth or SOAP). A non-JSON answer leaves only the HTTP status."""
    code = exc.code
    message = exc.auth_message or "login refused"
    if isinstance(code, int):
        text = " ".join(message.split())[:300]
        return make_error(
            "LOGIN_FAILED",
            f"the login endpoint answered HTTP {code}: {text}",
            status=code,
            redact=redact,
        )
    # simple-salesforce drops the HTTP status of a refused login (it always says 401).
    normalized = str(code or "LOGIN_FAILED").upper().replace(" ", "_")
    return make_error(normalized, message, redact=redact)


def from_salesforce_error(exc: SalesforceError, *, redact: Redactor = no_redaction) -> CrmError:
    if isinstance(exc, SalesforceAuthenticationFailed):
        return from_auth_failure(exc, redact=redact)
    return from_body(exc.content, exc.status, redact=redact)


def from_transport_error(exc: requests.RequestException, *, login_url: str = "") -> CrmError:
    """A timeout or lost connection is transient; a TLS failure is configuration.

    `details["maybe_applied"]` is True when the request may have reached Salesforce (the
    reply was lost, not the connection refused): replaying a create could then duplicate it.
    """
    host = urlsplit(exc.request.url).netloc if exc.request is not None and exc.request.url else ""
    where = f" {host}" if host else " Salesforce"
    if isinstance(exc, requests.exceptions.SSLError):
        return tls_error(where.strip(), login_url)
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return make_error("INVALID_RESPONSE", f"{where.strip()} answered with invalid JSON")
    details = {"maybe_applied": not _never_sent(exc)}
    if isinstance(exc, requests.Timeout):
        return make_error("CONNECTION_ERROR", f"timed out waiting for{where}", details=details)
    return make_error(
        "CONNECTION_ERROR", f"could not reach{where} ({type(exc).__name__})", details=details
    )


def tls_error(host: str, login_url: str) -> CrmError:
    """A certificate problem, said plainly: the server's certificate is not trusted. The text
    of the SSL error is left out (it says little to a person and may quote the request)."""
    org = f" for the login URL {login_url}" if login_url else ""
    return make_error(
        "TLS_ERROR",
        f"certificate problem: the TLS certificate of {host}{org} could not be verified. "
        "If the org uses a private certificate authority, add the connector again with "
        "--ca-file PATH (the CA's certificate, PEM); if a CA file is set, check it is the "
        "right one",
    )


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(reason, NewConnectionError)
    return False


def maybe_applied(exc: BaseException) -> bool:
    """Whether a failed call may have changed data in Salesforce all the same."""
    return isinstance(exc, CrmError) and exc.maybe_applied


def from_bulk_error(exc: SalesforceOperationError, *, redact: Redactor = no_redaction) -> CrmError:
    return make_error("BULK_JOB_FAILED", str(exc), redact=redact)


def from_bulk_result(text: str, *, redact: Redactor = no_redaction) -> CrmError:
    """A Bulk API `sf__Error` cell: `CODE:message:Field1,Field2 --`."""
    code, _, rest = text.partition(":")
    rest = rest.strip()
    fields: list[str] = []
    if rest.endswith("--"):
        message, separator, field_part = rest[:-2].rstrip().rpartition(":")
        if not separator:  # no field part at all: "message --"
            message, field_part = field_part, ""
        fields = [name.strip() for name in field_part.split(",") if name.strip()]
    else:
        message = rest
    code = code.strip() or "UNKNOWN_ERROR"
    return make_error(code, message.strip() or code, fields=fields, redact=redact)
