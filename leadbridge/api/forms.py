"""The public endpoint website forms post to: `POST /form-handlers/{id}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from leadbridge.api.body import read_submission
from leadbridge.api.state import services
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.errors import NotFoundError

router = APIRouter()


@router.post("/form-handlers/{handler_id}", tags=["forms"])
async def submit_form(handler_id: str, request: Request) -> dict[str, Any]:
    """Accept a form post: creates or updates the prospect and runs the completion actions.

    The answer says only that the post was accepted: it never tells a visitor whether the
    email was already known."""
    if not handler_id.isdigit():
        raise NotFoundError(f"no form handler with id {handler_id!r}")
    submitted = await read_submission(request)
    state = services(request)
    service = FormSubmissionService(state.database, state.clock)
    result = await run_in_threadpool(service.submit, int(handler_id), submitted)
    return {"ok": True, "submission_id": result.submission_id}
