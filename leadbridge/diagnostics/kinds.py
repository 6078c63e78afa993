"""The kind of a sync error (what to do about it), said for people.

The kind follows from the error code by the push engine's own rule (`domain.push.error_kind`:
Salesforce's codes by their `CrmError` group, leadbridge's pre-flight refusals as data
errors, an unmapped user as configuration), so the list and the engine never disagree.
"""

from __future__ import annotations

from leadbridge.domain.push import ErrorKind, error_kind, retry_delay
from leadbridge.errors import InputError

__all__ = ["ADVICE", "ErrorKind", "kind_of", "parse_kind", "retries_automatically"]

ADVICE: dict[ErrorKind, str] = {
    ErrorKind.TRANSIENT: "Salesforce was busy or unreachable; leadbridge tries again by itself.",
    ErrorKind.LIMIT: (
        "The Salesforce API allowance was used up; retry once calls older than 24 hours free "
        "it up (or raise api_budget_percent with leadbridge connector set)."
    ),
    ErrorKind.DATA: (
        "Salesforce refused the values (or leadbridge stopped them first, for codes starting "
        "PREFLIGHT_): correct the prospect's data, or the field, validation rule or picklist "
        "in Salesforce."
    ),
    ErrorKind.DUPLICATE: (
        "A Salesforce duplicate rule or unique field stopped it: merge or remove the "
        "duplicate record in Salesforce, or change the prospect's data."
    ),
    ErrorKind.GONE: (
        "The Salesforce record was deleted, merged or converted: check it in Salesforce."
    ),
    ErrorKind.PERMISSION: (
        "The connector user may not do this, or the record owner is inactive: fix access "
        "or the owner in Salesforce."
    ),
    ErrorKind.CONFIGURATION: (
        "leadbridge's setup is incomplete: check user mappings (leadbridge users map) and "
        "the connector (leadbridge connector verify)."
    ),
}


def kind_of(error_code: str) -> ErrorKind:
    return error_kind(error_code)


def retries_automatically(kind: ErrorKind) -> bool:
    """Whether leadbridge tries again without anyone asking (only passing problems do)."""
    return retry_delay(kind, 0) is not None


def parse_kind(raw: str) -> ErrorKind:
    try:
        return ErrorKind(raw.strip().lower())
    except ValueError:
        choices = ", ".join(ErrorKind)
        raise InputError(f"{raw!r} is not a kind of error ({choices})", item="kind") from None
