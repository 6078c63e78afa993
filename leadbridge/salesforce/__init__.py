"""The Salesforce adapter: `SalesforceClient` implements `leadbridge.ports.CrmClient` over
simple-salesforce. Nothing else in leadbridge imports simple_salesforce."""

from __future__ import annotations

from .auth import login_domain
from .client import SalesforceClient
from .credentials import CrmCredentials, Flow, from_sandbox_file
from .retry import RetryPolicy
from .soql import StatementLimits
from .usage import CallKind, UsageMeter

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
