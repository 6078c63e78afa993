"""`/sync-errors`: open errors counted by kind and code, a filtered table (keyset pages) with
the fix for each, retry of a selection or of everything the filter matches, CSV export.

Retrying only queues a new push of each error's prospect (as `leadbridge errors retry`
does); the sync loop sends it, woken through the gateway when there is one.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.diagnostics import SyncErrorService
from leadbridge.diagnostics.kinds import ADVICE, ErrorKind
from leadbridge.diagnostics.listing import COUNT_CAP, STATES, ErrorListing
from leadbridge.diagnostics.retry import RetryReport
from leadbridge.domain.access import Permission
from leadbridge.errors import ConfigurationError
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.gateway import gateway
from leadbridge.web.sync_errors.filters import Parsed, from_request, parse
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)
VIEW = [Depends(allowed(Permission.SYNC_ERRORS_VIEW))]
RETRY = [Depends(allowed(Permission.SYNC_ERRORS_RETRY))]
PAGE_SIZE = 50
MAX_IDS = 1000


def _listing(request: Request) -> ErrorListing:
    found = services(request)
    return ErrorListing(found.database, found.clock)


def _page(request: Request, parsed: Parsed) -> Response:
    found = services(request)
    listing = _listing(request)
    page = listing.page(parsed.filter, limit=PAGE_SIZE, after=parsed.after)
    context = {
        "title": "Sync Errors",
        "f": parsed,
        "errors": parsed.errors,
        "page": page,
        "matching": listing.count(parsed.filter),
        "count_cap": COUNT_CAP,
        "counts": SyncErrorService(found.database, found.clock).counts(),
        "kinds": list(ErrorKind),
        "advice": ADVICE,
        "states": STATES,
        "objects": listing.objects(),
        "next_url": None if page.next is None else f"?{parsed.query(after=page.next.token())}",
        "first_url": f"?{parsed.query()}" if parsed.after is not None else None,
    }
    status = 422 if parsed.errors else 200
    return render(request, "sync_errors/list.html", context, status_code=status)


@router.get("/sync-errors", dependencies=VIEW)
def sync_errors(request: Request) -> Response:
    return _page(request, from_request(request))


@router.get("/sync-errors/export.csv", dependencies=VIEW)
def export(request: Request) -> Response:
    parsed = from_request(request)
    if parsed.errors:
        return _page(request, parsed)
    lines = _listing(request).csv_lines(parsed.filter)
    headers = {"Content-Disposition": 'attachment; filename="sync-errors.csv"'}
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/sync-errors/retry", dependencies=RETRY)
async def retry(request: Request) -> Response:
    form = await request.form()
    parsed = parse({key: value for key, value in form.items() if isinstance(value, str)})
    ids = [value for value in form.getlist("ids") if isinstance(value, str)]
    query = parsed.query()
    back = f"/sync-errors?{query}" if query else "/sync-errors"
    if parsed.errors:
        return await run_in_threadpool(_page, request, parsed)
    listing = _listing(request)
    if form.get("scope") == "all":
        report = await run_in_threadpool(listing.retry_matching, parsed.filter)
    else:
        chosen = [int(raw) for raw in ids if raw.isascii() and raw.isdigit() and len(raw) <= 10]
        if not chosen:
            return with_notice(redirect(request, back), "Select the errors to retry first.")
        report = await run_in_threadpool(listing.retry_selected, chosen[:MAX_IDS])
    if report.queued:
        _wake(request)
    return with_notice(redirect(request, back), _said(report))


def _wake(request: Request) -> None:
    """Start the next sync cycle now, when this server runs one."""
    with contextlib.suppress(ConfigurationError):
        gateway(request).sync_now()


def _said(report: RetryReport) -> str:
    queued = len(report.queued)
    text = (
        f"{queued:,} error{'s' if queued != 1 else ''} queued for retry "
        f"({report.pushes_added:,} prospect push{'es' if report.pushes_added != 1 else ''}); "
        "they leave the list when the next sync succeeds."
        if queued
        else "Nothing was queued."
    )
    if report.skipped:
        first = report.skipped[0]
        text += f" {len(report.skipped):,} skipped (e.g. error {first.error_id}: {first.reason})."
    return text
