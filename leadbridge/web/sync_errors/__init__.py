"""Sync Errors: what Salesforce refused, by kind and code, with the fix; retry and export."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area(
    "sync_errors",
    "Sync Errors",
    "/sync-errors",
    Permission.SYNC_ERRORS_VIEW,
    order=620,
    section="Admin",
)
