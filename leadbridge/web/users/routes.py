"""`/users`: leadbridge users and their Salesforce users, roles, activation, the user sync,
and every user's API keys. All of it needs USERS_MANAGE."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from leadbridge.api.state import services
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.gateway import gateway
from leadbridge.web.params import RowId
from leadbridge.web.templating import render, with_notice
from leadbridge.web.users.service import (
    ROLE_CHOICES,
    audit_key_revoked,
    audit_password_set,
    change_role,
    create_user,
    map_user,
    set_active,
    sync_summary,
    unmap_user,
    users_view,
)

MANAGE = Depends(allowed(Permission.USERS_MANAGE))
router = APIRouter(include_in_schema=False, dependencies=[MANAGE])
PAGE = "/users"
Text = Annotated[str, Form(max_length=255)]


def _sentence(error: Exception) -> str:
    text = getattr(error, "reason", None) or str(error)
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _page(
    request: Request,
    principal: Principal,
    *,
    errors: dict[str, str] | None = None,
    new: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = services(request)
    view = users_view(found.database)
    keys = found.auth.api_keys(by=principal, everyone=True)
    return render(
        request,
        "users/users.html",
        {
            "title": "Users",
            "view": view,
            "keys": keys,
            "roles": ROLE_CHOICES,
            "errors": errors or {},
            "new": new or {"role": "sales"},
        },
        status_code=status,
    )


@router.get(PAGE)
def users_page(request: Request, principal: Principal = MANAGE) -> Response:
    return _page(request, principal)


@router.post(PAGE)
def create(
    request: Request,
    principal: Principal = MANAGE,
    email: Text = "",
    name: Text = "",
    role: Text = "sales",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    found = services(request)
    given = {"email": email, "name": name, "role": role}
    errors: dict[str, str] = {}
    if password and len(password) < 12:
        errors["password"] = "A password needs at least 12 characters (or leave it empty)."
    if not name.strip():
        errors["name"] = "Give the user's name."
    if not errors:
        try:
            user = create_user(
                found.database,
                email=email,
                name=name,
                role=role,
                actor=principal,
                now=found.clock.now(),
            )
        except (InputError, ConflictError) as error:
            item = getattr(error, "item", None)
            errors["role" if item == "role" else "email"] = _sentence(error)
    if errors:
        return _page(request, principal, errors=errors, new=given, status=422)
    note = ""
    if password:
        try:
            found.auth.set_password(user.email, password)
            audit_password_set(found.database, user.email, principal, found.clock.now())
            note = " They can sign in with the password you set."
        except InputError as error:
            note = f" The password was not set: {error.reason}."
    else:
        note = " Set a password with `leadbridge users set-password` to let them sign in."
    return with_notice(redirect(request, PAGE), f"User {user.email} created.{note}")


def _refused(request: Request, principal: Principal, key: str, error: Exception) -> Response:
    return _page(request, principal, errors={key: _sentence(error)}, status=422)


@router.post(PAGE + "/{user_id}/role")
def role(
    request: Request, user_id: RowId, principal: Principal = MANAGE, role: Text = ""
) -> Response:
    found = services(request)
    try:
        user, changed = change_role(
            found.database, user_id, role, actor=principal, now=found.clock.now()
        )
    except InputError as error:
        return _refused(request, principal, f"user:{user_id}", error)
    message = f"{user.email} is now {user.role.label}." if changed else "Nothing changed."
    return with_notice(redirect(request, PAGE), message)


def _activation(request: Request, user_id: int, principal: Principal, active: bool) -> Response:
    found = services(request)
    try:
        user, changed = set_active(
            found.database, user_id, active, actor=principal, now=found.clock.now()
        )
    except InputError as error:
        return _refused(request, principal, f"user:{user_id}", error)
    if not changed:
        return with_notice(redirect(request, PAGE), "Nothing changed.")
    message = (
        f"{user.email} reactivated: they can sign in again."
        if active
        else f"{user.email} deactivated: signed out everywhere, their API keys stop working."
    )
    return with_notice(redirect(request, PAGE), message)


@router.post(PAGE + "/{user_id}/deactivate")
def deactivate(request: Request, user_id: RowId, principal: Principal = MANAGE) -> Response:
    return _activation(request, user_id, principal, False)


@router.post(PAGE + "/{user_id}/reactivate")
def reactivate(request: Request, user_id: RowId, principal: Principal = MANAGE) -> Response:
    return _activation(request, user_id, principal, True)


@router.post(PAGE + "/{user_id}/map")
def map_crm(
    request: Request,
    user_id: RowId,
    principal: Principal = MANAGE,
    crm_user: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    found = services(request)
    try:
        user = map_user(found.database, user_id, crm_user, actor=principal, now=found.clock.now())
    except (InputError, ConflictError) as error:
        return _refused(request, principal, f"user:{user_id}", error)
    return with_notice(
        redirect(request, PAGE),
        f"{user.email} is mapped to the Salesforce user {user.crm_username}.",
    )


@router.post(PAGE + "/{user_id}/unmap")
def unmap(request: Request, user_id: RowId, principal: Principal = MANAGE) -> Response:
    found = services(request)
    try:
        user = unmap_user(found.database, user_id, actor=principal, now=found.clock.now())
    except NotFoundError as error:
        return _refused(request, principal, f"user:{user_id}", error)
    return with_notice(
        redirect(request, PAGE),
        f"{user.email} is no longer mapped: new leads assigned to them cannot be created "
        "until they are mapped again.",
    )


@router.post(PAGE + "/sync")
def sync(request: Request, principal: Principal = MANAGE, create: Text = "") -> Response:
    report = gateway(request).sync_users(create=bool(create))  # keeps the users it saw
    return with_notice(redirect(request, PAGE), sync_summary(report, create=bool(create)))


@router.post(PAGE + "/api-keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: RowId, principal: Principal = MANAGE) -> Response:
    found = services(request)
    info = found.auth.revoke_api_key(key_id, by=principal)
    audit_key_revoked(found.database, info.user_email, info.name, principal, found.clock.now())
    return with_notice(
        redirect(request, f"{PAGE}#api-keys"),
        f"API key “{info.name}” of {info.user_email} revoked.",
    )
