"""leadbridge's one exception hierarchy, grouped by what to do about an error.

    LeadbridgeError
    ├── InputError                  bad input (a CSV row, a form post, an API call): fix and resend
    ├── NotFoundError               the named item does not exist
    ├── ConflictError               the change clashes with existing data (taken email, mapping…)
    ├── ConfigurationError          leadbridge is not set up for this (no connector, bad setting)
    └── CrmError                    Salesforce said no: error_code, message, fields, status
        ├── CrmTransientError       retry with backoff (SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW)
        │   └── CrmLimitError       the org's API allowance or our budget is spent: stop cleanly
        ├── CrmDataError            fix the record's data (REQUIRED_FIELD_MISSING…)
        ├── CrmDuplicateError       a duplicate in Salesforce (DUPLICATE_VALUE, DUPLICATES_DETECTED)
        ├── CrmGoneError            the record is gone (NOT_FOUND, ENTITY_IS_DELETED…)
        ├── CrmPermissionError      the connector user may not do this (INSUFFICIENT_ACCESS…)
        └── CrmConfigurationError   login, URL, API version or schema is wrong (INVALID_LOGIN…)

Messages never contain secrets (passwords, tokens, client secrets).
"""

from __future__ import annotations

from typing import Any


class LeadbridgeError(Exception):
    """Base of every error leadbridge raises on purpose."""


class InputError(LeadbridgeError):
    """Bad input; `item` names what was wrong (a field, a CSV line, a parameter)."""

    def __init__(self, message: str, *, item: str | None = None) -> None:
        super().__init__(message if item is None else f"{item}: {message}")
        self.item = item
        self.reason = message


class NotFoundError(LeadbridgeError):
    pass


class ConflictError(LeadbridgeError):
    pass


class ConfigurationError(LeadbridgeError):
    pass


class SignInError(LeadbridgeError):
    """Wrong email or password, no password set, or the user is inactive (one message for
    all, so a caller cannot learn which emails exist)."""


class SignInThrottledError(SignInError):
    """Too many failed sign-ins: try again after `retry_after_seconds`."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class AccessDeniedError(LeadbridgeError):
    """Signed in, but this user's role may not do this."""


class CrmError(LeadbridgeError):
    """An error from Salesforce, with its errorCode, message and fields kept."""

    retryable = False

    def __init__(
        self,
        error_code: str,
        message: str,
        *,
        fields: list[str] | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        self.fields = fields or []
        self.status = status
        self.details = details or {}

    @property
    def maybe_applied(self) -> bool:
        """Whether the failed call may have changed data in Salesforce all the same (the
        connection broke after the request went out): its outcome is unknown."""
        return bool(self.details.get("maybe_applied"))


class CrmTransientError(CrmError):
    retryable = True


class CrmLimitError(CrmTransientError):
    """Stop syncing until the rolling 24-hour allowance frees up; retrying only burns calls."""

    retryable = False


class CrmDataError(CrmError):
    pass


class CrmDuplicateError(CrmError):
    pass


class CrmGoneError(CrmError):
    pass


class CrmPermissionError(CrmError):
    pass


class CrmConfigurationError(CrmError):
    pass


_GROUPS: dict[str, type[CrmError]] = {
    **dict.fromkeys(
        [
            "SERVER_UNAVAILABLE",
            "UNABLE_TO_LOCK_ROW",
            "REQUEST_TIMEOUT",
            "QUERY_TIMEOUT",
            "UNKNOWN_EXCEPTION",
            "INVALID_QUERY_LOCATOR",
            "TXN_SECURITY_METERING_ERROR",
        ],
        CrmTransientError,
    ),
    **dict.fromkeys(
        ["CONNECTION_ERROR", "INVALID_RESPONSE", "BULK_UNPROCESSED", "BULK_TIMEOUT"],
        CrmTransientError,
    ),
    **dict.fromkeys(["REQUEST_LIMIT_EXCEEDED", "API_BUDGET_EXCEEDED"], CrmLimitError),
    **dict.fromkeys(
        ["DUPLICATE_VALUE", "DUPLICATES_DETECTED", "DUPLICATE_EXTERNAL_ID", "MULTIPLE_RECORDS"],
        CrmDuplicateError,
    ),
    **dict.fromkeys(
        [
            "NOT_FOUND",
            "ENTITY_IS_DELETED",
            "CANNOT_UPDATE_CONVERTED_LEAD",
            "INVALID_CROSS_REFERENCE_KEY",
            "ENTITY_IS_ARCHIVED",
        ],
        CrmGoneError,
    ),
    **dict.fromkeys(
        [
            "INSUFFICIENT_ACCESS",
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
            "API_DISABLED_FOR_ORG",
            "INACTIVE_OWNER_OR_USER",
            "FIELD_INTEGRITY_EXCEPTION_PERMISSION",
        ],
        CrmPermissionError,
    ),
    **dict.fromkeys(
        [
            "INVALID_LOGIN",
            "INVALID_SESSION_ID",
            "INVALID_TYPE",
            "INVALID_FIELD",
            "MALFORMED_QUERY",
            "INVALID_CLIENT",
            "INVALID_GRANT",
            "NOT_CONFIGURED",
            "INVALID_OPERATION",
            "API_CURRENTLY_DISABLED",
            # the client's own login and transport failures
            "TLS_ERROR",
            "INVALID_CLIENT_ID",
            "UNSUPPORTED_GRANT_TYPE",
            "INACTIVE_USER",
            "INACTIVE_ORG",
            "INVALID_PRIVATE_KEY",
            "INVALID_AUTH",
            "LOGIN_FAILED",
        ],
        CrmConfigurationError,
    ),
}


def crm_error(
    error_code: str,
    message: str,
    *,
    fields: list[str] | None = None,
    status: int | None = None,
    details: dict[str, Any] | None = None,
) -> CrmError:
    """The CrmError subclass for a Salesforce errorCode; unknown codes are data errors,
    except 5xx statuses, which are transient."""
    group = _GROUPS.get(error_code)
    if group is None:
        group = CrmTransientError if status is not None and status >= 500 else CrmDataError
    return group(error_code, message, fields=fields, status=status, details=details)
