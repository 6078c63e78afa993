"""The public endpoint website forms post to: `POST /form-handlers/{public_id}`.

The public id is random (store/forms.py), so handlers cannot be found by counting; an id
of the wrong shape (an old numeric URL, garbage) is answered 404 before any database work.

With a form spool installed (`leadbridge serve` does), a post the store cannot take within
`FORM_WAIT_MS` (a long write holds SQLite's lock, PostgreSQL is unreachable) is kept in the
spool and answered 200 all the same; a background thread writes it once the store answers
(see automation/spool.py). While posts wait there, new ones queue behind them.

With a form intake installed (`leadbridge serve` on PostgreSQL: automation/form_posts.py) a
post is checked as before (handler, fields, values: the same errors), kept as one row and
answered at once; a background thread (or a worker) applies it. Its `submission_id` is then
the kept post's id. A post the store cannot take goes to the spool as above.

Each client IP may post only so often (api/rate_limit.py: 429 with Retry-After). A post with
the honeypot field (`lb_website_url`, hidden from people) filled in is answered like an
accepted one, so a bot learns nothing, but nothing is written: it is logged and counted.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from leadbridge.api.body import read_submission
from leadbridge.api.errors import ApiError
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.api.state import services
from leadbridge.automation.form_posts import FormPostIntake
from leadbridge.automation.spool import SubmissionSpool
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.domain.forms import is_spam
from leadbridge.errors import NotFoundError
from leadbridge.store.database import StoreTransientError
from leadbridge.store.forms import is_public_id

logger = logging.getLogger(__name__)
router = APIRouter()
FORM_WAIT_MS = 2_000  # how long a post waits for a busy store before it is spooled


@dataclass
class FormGuard:
    """The public endpoint's defences, one per app: the rate limiter and the spam count."""

    limiter: RateLimiter
    spam: int = 0


def _guard(request: Request) -> FormGuard:
    found = request.app.state.leadbridge_forms
    assert isinstance(found, FormGuard)
    return found


def _check_rate(guard: FormGuard, request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    wait = guard.limiter.take(client)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"too many form posts from this address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def install_spool(app: FastAPI, spool: SubmissionSpool) -> None:
    app.state.leadbridge_spool = spool


def install_form_posts(app: FastAPI, intake: FormPostIntake) -> None:
    """Keep posts to apply later (PostgreSQL) instead of applying each at once."""
    app.state.leadbridge_form_posts = intake


def has_intake(app: Any) -> bool:
    """Whether posts to this app are kept to apply later (the form intake is installed)."""
    state = getattr(app, "state", None)
    return isinstance(getattr(state, "leadbridge_form_posts", None), FormPostIntake)


def _form_posts(request: Request) -> FormPostIntake | None:
    found = getattr(request.app.state, "leadbridge_form_posts", None)
    return found if isinstance(found, FormPostIntake) else None


def _spool(request: Request) -> SubmissionSpool | None:
    found = getattr(request.app.state, "leadbridge_spool", None)
    return found if isinstance(found, SubmissionSpool) else None


@router.post("/form-handlers/{public_id}", tags=["forms"])
async def submit_form(public_id: str, request: Request) -> dict[str, Any]:
    """Accept a form post: creates or updates the prospect and runs the completion actions.

    The answer says only that the post was accepted: it never tells a visitor whether the
    email was already known."""
    return await take_post(request, public_id)


async def take_post(request: Request, public_id: str) -> dict[str, Any]:
    """What `submit_form` answers (also called by api/form_fast_path.py); raises the errors
    the app's handlers turn into answers."""
    guard = _guard(request)
    _check_rate(guard, request)
    if not is_public_id(public_id):  # garbage, or an old numeric URL: no database work
        raise NotFoundError("no form handler at this address")
    submitted = await read_submission(request)
    if is_spam(submitted):
        guard.spam += 1
        logger.warning(
            "form post with the honeypot filled in dropped as spam",
            extra={"action": "form_spam", "public_id": public_id, "spam_count": guard.spam},
        )
        return {"ok": True, "submission_id": secrets.randbelow(2**31 - 1) + 1}
    spool = _spool(request)
    intake = _form_posts(request)
    if intake is not None:
        client = request.client.host if request.client else None
        return await _keep_or_spool(intake, spool, public_id, submitted, client)
    if spool is None:
        state = services(request)
        service = FormSubmissionService(state.database, state.clock)
        result = await run_in_threadpool(service.submit_public, public_id, submitted)
        return {"ok": True, "submission_id": result.submission_id}
    return await run_in_threadpool(_submit_or_spool, spool, public_id, submitted)


def _submit_or_spool(
    spool: SubmissionSpool, public_id: str, submitted: dict[str, Any]
) -> dict[str, Any]:
    if not spool.pending():
        try:
            result = spool.service.submit_public(public_id, submitted)
        except StoreTransientError:
            pass
        else:
            return {"ok": True, "submission_id": result.submission_id}
    queued = spool.add(public_id, submitted)
    return {"ok": True, "queued": queued.spool_id}


async def _keep_or_spool(
    intake: FormPostIntake,
    spool: SubmissionSpool | None,
    public_id: str,
    submitted: dict[str, Any],
    client: str | None,
) -> dict[str, Any]:
    """Keep the post (on the event loop: the intake's writer thread does the INSERT), or
    spool it when the store cannot take it now or earlier posts wait in the spool."""
    if spool is None or not spool.has_pending():
        try:
            post_id = await intake.accept_async(public_id, submitted, client)
        except StoreTransientError:
            if spool is None:
                raise
        else:
            return {"ok": True, "submission_id": post_id}
    queued = await run_in_threadpool(spool.add, public_id, submitted)
    return {"ok": True, "queued": queued.spool_id}
