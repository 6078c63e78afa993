"""The management API (`/api/v1`): health, and reading a prospect.

When the app has an API token, `/api/v1/prospects` requires `Authorization: Bearer TOKEN`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from leadbridge.api.errors import ApiError
from leadbridge.api.state import Services, services
from leadbridge.domain.fields import Origin
from leadbridge.marketing.prospects import ProspectService

router = APIRouter(prefix="/api/v1")


def require_token(request: Request) -> Services:
    state = services(request)
    if state.api_token is None:
        return state
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        given.strip().encode(), state.api_token.encode()
    ):
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <API token>")
    return state


Authorised = Annotated[Services, Depends(require_token)]


@router.get("/health", tags=["api"])
async def health(request: Request) -> dict[str, Any]:
    """Whether the app is up and its database answers."""
    state = services(request)
    await run_in_threadpool(_ping, state)
    return {"status": "ok", "database": state.database.backend}


def _ping(state: Services) -> None:
    with state.database.session(readonly=True) as session:
        session.execute(text("SELECT 1"))


@router.get("/prospects/{key}", tags=["api"])
async def get_prospect(key: str, state: Authorised) -> dict[str, Any]:
    """A prospect by id or email, with its assigned user, CRM link and recent history."""
    service = ProspectService(state.database, state.clock, origin=Origin.API)
    return await run_in_threadpool(service.show, key)
