"""The management API (`/api/v1`): health, and reading a prospect.

Everything but health needs an API key or a signed-in session (see `api/auth.py`). Sales
users read only the prospects assigned to them; any other is "not found" to them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from leadbridge.api.auth import api_may
from leadbridge.api.state import Services, services
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission, sees_only_assigned
from leadbridge.domain.fields import Origin
from leadbridge.errors import NotFoundError
from leadbridge.marketing.prospects import ProspectService

router = APIRouter(prefix="/api/v1")


@router.get("/health", tags=["api"])
async def health(request: Request) -> dict[str, Any]:
    """Whether the app is up and its database answers (nothing else, to anyone)."""
    await run_in_threadpool(_ping, services(request))
    return {"status": "ok"}


def _ping(state: Services) -> None:
    with state.database.session(readonly=True) as session:
        session.execute(text("SELECT 1"))


@router.get("/prospects/{key}", tags=["api"])
async def get_prospect(
    key: str,
    request: Request,
    principal: Annotated[Principal, Depends(api_may(Permission.PROSPECTS_VIEW))],
) -> dict[str, Any]:
    """A prospect by id or email, with its assigned user, CRM link and recent history."""
    state = services(request)
    service = ProspectService(state.database, state.clock, origin=Origin.API)
    shown = await run_in_threadpool(service.show, key)
    if sees_only_assigned(principal.role) and shown.get("assigned_user_id") != principal.user_id:
        raise NotFoundError(f"no prospect {key}")
    return shown
