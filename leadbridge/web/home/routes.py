"""`/`: signed in, the first area of the menu; otherwise the sign-in page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadbridge.web.areas import menu_for
from leadbridge.web.auth import Viewer
from leadbridge.web.errors import redirect

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, principal: Viewer) -> Response:
    menu = menu_for(principal.role)
    return redirect(request, menu[0].path if menu else "/prospects")
