"""Who may do what: the one place that decides it, for the console, the API and the CLI.

The roles are Pardot's defaults. Administrators do everything. Marketing users run the
marketing database (prospects, rules, forms, imports) and the sync-error queue, but not the
connector's settings, users or anyone else's API keys. Sales managers read every prospect and
assign them. Sales users see only the prospects assigned to them, and may ask for those to be
synced with Salesforce.
"""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    ADMIN = "admin"
    MARKETING = "marketing"
    SALES_MANAGER = "sales_manager"
    SALES = "sales"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    UserRole.ADMIN: "Administrator",
    UserRole.MARKETING: "Marketing",
    UserRole.SALES_MANAGER: "Sales manager",
    UserRole.SALES: "Sales",
}


class Permission(StrEnum):
    CONNECTOR_VIEW = "connector.view"
    CONNECTOR_MANAGE = "connector.manage"  # settings, verify, pause, resume, sync now
    FIELDS_VIEW = "fields.view"
    FIELDS_MANAGE = "fields.manage"
    USERS_MANAGE = "users.manage"  # create, map, deactivate, others' API keys
    OWN_API_KEYS = "api_keys.own"
    PROSPECTS_VIEW = "prospects.view"  # all of them, or (sales) only those assigned
    PROSPECTS_EDIT = "prospects.edit"
    PROSPECTS_ASSIGN = "prospects.assign"
    PROSPECTS_DELETE = "prospects.delete"
    PROSPECTS_SYNC = "prospects.sync"  # "Sync with Salesforce" on one prospect or a selection
    SEND_TO_LEADBRIDGE = "prospects.send_to"
    SYNC_ERRORS_VIEW = "sync_errors.view"
    SYNC_ERRORS_RETRY = "sync_errors.retry"
    RULES_VIEW = "rules.view"
    RULES_MANAGE = "rules.manage"
    FORMS_VIEW = "forms.view"
    FORMS_MANAGE = "forms.manage"
    IMPORT = "imports.run"
    AUDIT_VIEW = "audit.view"


_P = Permission
_MARKETING = frozenset(
    {
        _P.CONNECTOR_VIEW,
        _P.FIELDS_VIEW,
        _P.OWN_API_KEYS,
        _P.PROSPECTS_VIEW,
        _P.PROSPECTS_EDIT,
        _P.PROSPECTS_ASSIGN,
        _P.PROSPECTS_DELETE,
        _P.PROSPECTS_SYNC,
        _P.SEND_TO_LEADBRIDGE,
        _P.SYNC_ERRORS_VIEW,
        _P.SYNC_ERRORS_RETRY,
        _P.RULES_VIEW,
        _P.RULES_MANAGE,
        _P.FORMS_VIEW,
        _P.FORMS_MANAGE,
        _P.IMPORT,
    }
)
_SALES_MANAGER = frozenset(
    {
        _P.OWN_API_KEYS,
        _P.PROSPECTS_VIEW,
        _P.PROSPECTS_ASSIGN,
        _P.PROSPECTS_SYNC,
        _P.SEND_TO_LEADBRIDGE,
    }
)
_SALES = frozenset({_P.OWN_API_KEYS, _P.PROSPECTS_VIEW, _P.PROSPECTS_SYNC})

GRANTS: dict[UserRole, frozenset[Permission]] = {
    UserRole.ADMIN: frozenset(Permission),
    UserRole.MARKETING: _MARKETING,
    UserRole.SALES_MANAGER: _SALES_MANAGER,
    UserRole.SALES: _SALES,
}


def may(role: UserRole | str, permission: Permission) -> bool:
    """Whether `role` may do `permission` (an unknown role may do nothing)."""
    try:
        return permission in GRANTS[UserRole(role)]
    except ValueError:
        return False


def sees_only_assigned(role: UserRole | str) -> bool:
    """Sales users see (and sync) only the prospects assigned to them."""
    return UserRole(role) is UserRole.SALES
