"""The Salesforce adapter: `SalesforceClient` implements `leadbridge.ports.CrmClient` over
simple-salesforce. Nothing else in leadbridge imports simple_salesforce.

The names below load on first use (PEP 562): `leadbridge.salesforce.credentials`, which the
CLI reads for nearly every command, must not pull in simple-salesforce, zeep and requests."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import login_domain
    from .client import SalesforceClient
    from .credentials import CrmCredentials, Flow, from_sandbox_file
    from .retry import RetryPolicy
    from .soql import StatementLimits
    from .usage import CallKind, UsageMeter

_WHERE = {
    "CallKind": "usage",
    "CrmCredentials": "credentials",
    "Flow": "credentials",
    "RetryPolicy": "retry",
    "SalesforceClient": "client",
    "StatementLimits": "soql",
    "UsageMeter": "usage",
    "from_sandbox_file": "credentials",
    "login_domain": "auth",
}

__all__ = [
    "CallKind",
    "CrmCredentials",
    "Flow",
    "RetryPolicy",
    "SalesforceClient",
    "StatementLimits",
    "UsageMeter",
    "from_sandbox_file",
    "login_domain",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
