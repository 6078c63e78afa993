"""Who may do what, enforced server-side: every route of the app, for every role.

ROUTES names, for each route, the permission it needs (None: anyone signed in). A route
missing here fails `test_every_route_is_in_the_matrix`, so no page or API route can be added
without saying who may use it. For each role and route the request is made as that role:
a role without the permission gets 403; a role with it never does (it may get 404 for a
made-up id, 422 for an empty form, 303 after an action — anything but 401/403).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from leadbridge.api import create_app
from leadbridge.domain.access import Permission, may
from leadbridge.ports import SystemClock
from leadbridge.store.database import Database
from tests.console import ROLES, WebClient

P = Permission
# Open to anyone (their own checks: the form's token, the handler's rate limit, …).
PUBLIC = {
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-out"),
    ("GET", "/api/v1/health"),
    ("POST", "/form-handlers/{public_id}"),
    ("GET", "/api/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/api/openapi.json"),
}
ROUTES: dict[tuple[str, str], Permission | None] = {
    ("GET", "/"): None,
    ("GET", "/account"): P.OWN_API_KEYS,
    ("POST", "/account/api-keys"): P.OWN_API_KEYS,
    ("POST", "/account/api-keys/{key_id}/revoke"): P.OWN_API_KEYS,
    ("POST", "/account/password"): P.OWN_API_KEYS,
    ("GET", "/connector"): P.CONNECTOR_VIEW,
    ("GET", "/connector/status"): P.CONNECTOR_VIEW,
    ("POST", "/connector/verify"): P.CONNECTOR_MANAGE,
    ("POST", "/connector/pause"): P.CONNECTOR_MANAGE,
    ("POST", "/connector/resume"): P.CONNECTOR_MANAGE,
    ("POST", "/connector/sync-now"): P.CONNECTOR_MANAGE,
    ("POST", "/connector/settings"): P.CONNECTOR_MANAGE,
    ("GET", "/fields"): P.FIELDS_VIEW,
    ("GET", "/fields/org-fields"): P.FIELDS_VIEW,
    ("POST", "/fields/custom"): P.FIELDS_MANAGE,
    ("POST", "/fields/{name}/behaviour"): P.FIELDS_MANAGE,
    ("GET", "/users"): P.USERS_MANAGE,
    ("POST", "/users"): P.USERS_MANAGE,
    ("POST", "/users/sync"): P.USERS_MANAGE,
    ("POST", "/users/{user_id}/role"): P.USERS_MANAGE,
    ("POST", "/users/{user_id}/deactivate"): P.USERS_MANAGE,
    ("POST", "/users/{user_id}/reactivate"): P.USERS_MANAGE,
    ("POST", "/users/{user_id}/map"): P.USERS_MANAGE,
    ("POST", "/users/{user_id}/unmap"): P.USERS_MANAGE,
    ("POST", "/users/api-keys/{key_id}/revoke"): P.USERS_MANAGE,
    ("GET", "/prospects"): P.PROSPECTS_VIEW,
    ("POST", "/prospects/bulk"): P.PROSPECTS_VIEW,  # and the chosen action's permission
    ("GET", "/prospects/{prospect_id}"): P.PROSPECTS_VIEW,
    ("POST", "/prospects/{prospect_id}"): P.PROSPECTS_EDIT,
    ("POST", "/prospects/{prospect_id}/assign"): P.PROSPECTS_ASSIGN,
    ("POST", "/prospects/{prospect_id}/sync"): P.PROSPECTS_SYNC,
    ("GET", "/rules"): P.RULES_VIEW,
    ("GET", "/rules/{rule_id}"): P.RULES_VIEW,
    ("GET", "/rules/{rule_id}/preview"): P.RULES_VIEW,
    ("GET", "/rules/new"): P.RULES_MANAGE,
    ("POST", "/rules/new"): P.RULES_MANAGE,
    ("GET", "/rules/{rule_id}/edit"): P.RULES_MANAGE,
    ("POST", "/rules/{rule_id}/edit"): P.RULES_MANAGE,
    ("POST", "/rules/builder"): P.RULES_MANAGE,
    ("POST", "/rules/preview"): P.RULES_MANAGE,
    ("POST", "/rules/{rule_id}/pause"): P.RULES_MANAGE,
    ("POST", "/rules/{rule_id}/resume"): P.RULES_MANAGE,
    ("POST", "/rules/{rule_id}/run"): P.RULES_MANAGE,
    ("GET", "/rules/{rule_id}/run"): P.RULES_VIEW,
    ("POST", "/rules/{rule_id}/delete"): P.RULES_MANAGE,
    ("GET", "/forms"): P.FORMS_VIEW,
    ("GET", "/forms/{handler_id}"): P.FORMS_VIEW,
    ("GET", "/forms/new"): P.FORMS_MANAGE,
    ("POST", "/forms/new"): P.FORMS_MANAGE,
    ("GET", "/forms/{handler_id}/edit"): P.FORMS_MANAGE,
    ("POST", "/forms/{handler_id}/edit"): P.FORMS_MANAGE,
    ("POST", "/forms/builder"): P.FORMS_MANAGE,
    ("POST", "/forms/{handler_id}/pause"): P.FORMS_MANAGE,
    ("POST", "/forms/{handler_id}/resume"): P.FORMS_MANAGE,
    ("GET", "/send-to-leadbridge"): P.SEND_TO_LEADBRIDGE,
    ("POST", "/send-to-leadbridge"): P.SEND_TO_LEADBRIDGE,
    ("GET", "/send-to-leadbridge/results/{result_id}"): P.SEND_TO_LEADBRIDGE,
    ("GET", "/sync-errors"): P.SYNC_ERRORS_VIEW,
    ("GET", "/sync-errors/export.csv"): P.SYNC_ERRORS_VIEW,
    ("POST", "/sync-errors/retry"): P.SYNC_ERRORS_RETRY,
    ("GET", "/imports"): P.IMPORT,
    ("POST", "/imports"): P.IMPORT,
    ("GET", "/imports/{run_id}"): P.IMPORT,
    ("GET", "/imports/{run_id}/progress"): P.IMPORT,
    ("GET", "/imports/{run_id}/report.csv"): P.IMPORT,
    ("GET", "/audit"): P.AUDIT_VIEW,
    ("GET", "/audit/settings"): P.AUDIT_VIEW,
    ("GET", "/api/v1/prospects/{key}"): P.PROSPECTS_VIEW,
    ("POST", "/api/v1/connector/send"): P.SEND_TO_LEADBRIDGE,
    ("POST", "/api/v1/imports"): P.IMPORT,
}


def _walk(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI ≥ 0.16x keeps them
    as `_IncludedRouter`s holding the original router and the prefix it was included with)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute | Route):
            methods = route.methods or set()
            found |= {(m, prefix + route.path) for m in methods if m != "HEAD"}
        elif hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            inner = str(getattr(context, "prefix", "") or "")
            found |= _walk(route.original_router.routes, prefix + inner)
    return found


def _app_routes(database: Database) -> set[tuple[str, str]]:
    return _walk(create_app(database, SystemClock()).routes)


def test_every_route_is_in_the_matrix(console_db: Database) -> None:
    missing = _app_routes(console_db) - set(ROUTES) - PUBLIC
    assert not missing, f"say who may use these routes in ROUTES: {sorted(missing)}"
    stale = set(ROUTES) - _app_routes(console_db)
    assert not stale, f"these routes no longer exist: {sorted(stale)}"


def _concrete(path: str) -> str:
    """A made-up value for each path parameter (an id that exists is not needed)."""
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_policy_grants(
    role: str, web: Callable[..., WebClient]
) -> None:
    client = web(role)
    wrong: list[str] = []
    for (method, path), permission in sorted(ROUTES.items()):
        response = client.request(method, _concrete(path))
        granted = permission is None or may(role, permission)
        refused = response.status_code in (401, 403)
        if granted == refused:
            wrong.append(f"{method} {path}: {response.status_code} (granted={granted})")
    assert not wrong, "\n".join(wrong)
