"""`/send-to-leadbridge?ids=ID1,ID2`: the page Salesforce's "Send to leadbridge" button opens.

A signed-in user sees the ids (bad ones named with the reason) and confirms; the records are
brought in through the console gateway (the HTTP app never calls Salesforce itself); the
confirm then redirects to a results page (kept a day, for its sender: a refresh never sends
again) that gives each id's outcome in plain words with a link to its prospect. Nobody
signed in goes to the sign-in page and comes back here. No token is ever part of the page
or the button.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission
from leadbridge.errors import ConfigurationError, LeadbridgeError
from leadbridge.store.send_to_results import SendToResultRepository
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.gateway import gateway
from leadbridge.web.params import RowId
from leadbridge.web.send_to.ids import MAX_IDS, SentIds, parse_ids
from leadbridge.web.templating import render

router = APIRouter(
    include_in_schema=False, dependencies=[Depends(allowed(Permission.SEND_TO_LEADBRIDGE))]
)
MAX_RAW = 64 * 1024  # 2,000 ids of 18 characters and their commas fit easily
OUTCOMES = {
    "created": ("ok", "Created", "a new prospect"),
    "updated": ("ok", "Updated", "the prospect took Salesforce's values"),
    "linked": ("ok", "Linked", "linked to the prospect with the same email"),
    "restored": ("ok", "Restored", "taken back out of the recycle bin"),
    "unchanged": ("info", "Unchanged", "already in leadbridge"),
    "skipped": ("warn", "Skipped", ""),
    "not found": ("bad", "Failed", ""),
    "no email": ("bad", "Failed", "the record has no email address"),
    "error": ("bad", "Failed", ""),
}


@router.get("/send-to-leadbridge")
def confirm_page(request: Request, ids: Annotated[str, Query(max_length=MAX_RAW)] = "") -> Response:
    return _page(request, parse_ids(ids))


@router.post("/send-to-leadbridge")
async def send(request: Request, ids: Annotated[str, Form(max_length=MAX_RAW)] = "") -> Response:
    sent = parse_ids(ids)
    if not sent.ok:
        return _page(request, sent, status=422)
    try:
        summary = await run_in_threadpool(gateway(request).send_to_leadbridge, sent.valid)
    except LeadbridgeError as error:
        status = 503 if isinstance(error, ConfigurationError) else 502
        return _page(request, sent, failure=str(error), status=status)
    principal: Principal = request.state.principal
    result_id = await run_in_threadpool(_keep, request, principal.user_id, summary["results"])
    return redirect(request, f"/send-to-leadbridge/results/{result_id}")


@router.get("/send-to-leadbridge/results/{result_id}")
def results_page(request: Request, result_id: RowId) -> Response:
    """The outcome of a send, for the user who sent it (a refresh here sends nothing)."""
    principal: Principal = request.state.principal
    found = services(request)
    with found.database.session(readonly=True) as session:
        kept = SendToResultRepository(session, found.clock).get(result_id, principal.user_id)
    return _page(request, SentIds(), results=[_result(item) for item in kept])


def _keep(request: Request, user_id: int, results: list[dict[str, Any]]) -> int:
    found = services(request)
    with found.database.session() as session:
        return SendToResultRepository(session, found.clock).save(user_id, results)


def _result(item: dict[str, Any]) -> dict[str, Any]:
    kind, word, note = OUTCOMES.get(item.get("status", ""), ("bad", "Failed", ""))
    return {**item, "kind": kind, "word": word, "note": item.get("reason") or note}


def _page(
    request: Request,
    sent: SentIds,
    *,
    results: list[dict[str, Any]] | None = None,
    failure: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "title": "Send to leadbridge",
        "sent": sent,
        "max_ids": MAX_IDS,
        "results": results,
        "failure": failure,
    }
    return render(request, "send_to/confirm.html", context, status_code=status)
