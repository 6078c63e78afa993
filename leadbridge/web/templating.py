"""Rendering a console page: the area's template inside the layout, with who is signed in,
their menu, their CSRF token and any notice left by the last action."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from leadbridge.auth import Principal
from leadbridge.domain.access import Permission, may
from leadbridge.web.areas import WEB_DIR, found_areas, menu_for

NOTICE_COOKIE = "lb_notice"


def _when(value: datetime | None) -> str:
    """A UTC time as people read it in a table: 2026-12-03 14:05 UTC."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


@cache
def templates() -> Jinja2Templates:
    areas = {
        found.templates.parent.name: FileSystemLoader(found.templates)
        for found in found_areas()
        if found.templates is not None
    }
    env = Environment(
        loader=ChoiceLoader([PrefixLoader(areas), FileSystemLoader(WEB_DIR / "templates")]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["number"] = _number
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    env.globals["may"] = may
    env.globals["Permission"] = Permission
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    """`name` (e.g. "prospects/list.html") for this request, as `principal`."""
    who = principal if principal is not None else getattr(request.state, "principal", None)
    raw_notice = request.cookies.get(NOTICE_COOKIE)
    notice = unquote(raw_notice) if raw_notice else None
    page = {
        "request": request,
        "principal": who,
        "csrf_token": who.csrf_token if who is not None else None,
        "menu": menu_for(who.role) if who is not None else [],
        "path": request.url.path,
        "notice": notice[:300] if notice else None,
        "htmx": request.headers.get("hx-request") == "true",
        **(context or {}),
    }
    response = templates().TemplateResponse(request, name, page, status_code=status_code)
    if raw_notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def with_notice(response: Response, message: str) -> Response:
    """Show `message` at the top of the next page rendered (after a redirect)."""
    response.set_cookie(
        NOTICE_COOKIE, quote(message[:300]), max_age=60, httponly=True, samesite="lax", path="/"
    )
    return response
