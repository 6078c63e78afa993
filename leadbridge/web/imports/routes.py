"""`/imports`: upload a CSV (a plain multipart form), then its run's page: progress (htmx
polls it every second until done), the per-row report and its CSV; past imports."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import PurePath

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from leadbridge.api.intake import MAX_UPLOAD_BYTES
from leadbridge.api.state import Services, services
from leadbridge.auth import Principal
from leadbridge.diagnostics.export import safe_cell
from leadbridge.domain.access import Permission
from leadbridge.errors import InputError
from leadbridge.store.import_runs import WRITTEN, ImportRun, ImportRunRepository
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.gateway import gateway
from leadbridge.web.imports.job import check_upload, interrupt_unfinished, run_import
from leadbridge.web.params import RowId
from leadbridge.web.templating import render, with_notice
from leadbridge.web.workers import workers


@asynccontextmanager
async def interrupt_on_start(app: FastAPI) -> AsyncIterator[None]:
    """When the server starts, no import of this process can be going yet: runs left queued
    or running were cut short by a restart, and are marked interrupted (their page says to
    upload the file again)."""
    await run_in_threadpool(interrupt_unfinished, app.state.leadbridge)
    yield


router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(allowed(Permission.IMPORT))],
    lifespan=interrupt_on_start,
)
PAST = 25
REPORT_ROWS = 500
CSV_PAGE = 5000
REPORT_COLUMNS = ("line", "email", "status", "reason", "prospect_id", "crm_object", "crm_id")


def _list(request: Request, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    found = services(request)
    with found.database.session(readonly=True) as session:
        runs = ImportRunRepository(session, found.clock).recent(PAST)
    context = {
        "title": "Import",
        "runs": runs,
        "errors": errors or {},
        "limit_mb": MAX_UPLOAD_BYTES // 2**20,
    }
    return render(request, "imports/list.html", context, status_code=status)


@router.get("/imports")
def imports(request: Request) -> Response:
    return _list(request)


@router.post("/imports")
async def upload(request: Request, tasks: BackgroundTasks) -> Response:
    principal: Principal = request.state.principal
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await run_in_threadpool(
            _list, request, {"file": "Choose a CSV file to upload."}, 422
        )
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    await form.close()
    problem = check_upload(data)
    if len(data) > MAX_UPLOAD_BYTES:
        problem = f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB: split it in parts."
    if problem is not None:
        return await run_in_threadpool(_list, request, {"file": problem}, 422)
    found = services(request)
    name = PurePath(upload.filename.replace("\\", "/")).name[:255] or "upload.csv"
    undelete = form.get("undelete") == "on"
    queue = workers(request)
    if queue is not None:  # kept with its run and imported by workers, chunk by chunk
        enqueue = partial(
            queue,
            data,
            user_id=principal.user_id,
            actor=principal.email,
            filename=name,
            undelete=undelete,
        )
        try:
            run_id = await run_in_threadpool(enqueue)
        except InputError as error:  # a column that is no prospect field, …
            reason = f"{error.reason[0].upper()}{error.reason[1:]}."
            return await run_in_threadpool(_list, request, {"file": reason}, 422)
        return with_notice(redirect(request, f"/imports/{run_id}"), f"Importing {name}…")
    intake = gateway(request)

    def add() -> ImportRun:
        with found.database.session() as session:
            return ImportRunRepository(session, found.clock).add(
                user_id=principal.user_id, actor=principal.email, filename=name, undelete=undelete
            )

    run = await run_in_threadpool(add)
    tasks.add_task(run_import, found.database, found.clock, intake, run.id, data, undelete)
    return with_notice(redirect(request, f"/imports/{run.id}"), f"Importing {name}…")


def _run(request: Request, run_id: int) -> ImportRun:
    found = services(request)
    with found.database.session(readonly=True) as session:
        return ImportRunRepository(session, found.clock).get(run_id)


def _after(request: Request) -> int | None:
    raw = request.query_params.get("after", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 10:
        return int(raw)
    return None


@router.get("/imports/{run_id}")
def show(request: Request, run_id: RowId) -> Response:
    found = services(request)
    only_problems = request.query_params.get("show") == "problems"
    after = _after(request)
    with found.database.session(readonly=True) as session:
        runs = ImportRunRepository(session, found.clock)
        run = runs.get(run_id)
        rows = runs.report(run_id, REPORT_ROWS + 1, after_id=after, attention=only_problems)
    more = len(rows) > REPORT_ROWS
    rows = rows[:REPORT_ROWS]
    show_param = "show=problems&" if only_problems else ""
    base = f"/imports/{run.id}?{show_param}"
    context = {
        "title": f"Import {run.filename}",
        "run": run,
        "results": rows,
        "result_count": sum(run.counts.values()),
        "attention_count": sum(n for status, n in run.counts.items() if status not in WRITTEN),
        "only_problems": only_problems,
        "next_url": f"{base}after={rows[-1].id}" if more else None,
        "first_url": base.rstrip("?&") if after is not None else None,
    }
    return render(request, "imports/run.html", context)


@router.get("/imports/{run_id}/progress")
def progress(request: Request, run_id: RowId) -> Response:
    """The progress card, for htmx polling; once the run is finished the page reloads."""
    run = _run(request, run_id)
    response = render(request, "imports/progress.html", {"run": run})
    if run.finished:
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/imports/{run_id}/report.csv")
def report(request: Request, run_id: RowId) -> Response:
    run = _run(request, run_id)
    if not run.finished:
        return with_notice(redirect(request, f"/imports/{run_id}"), "The import is still running.")
    filename = f"import-{run.id}-report.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    lines = _csv(services(request), run.id)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=headers)


def _csv(found: Services, run_id: int) -> Iterator[str]:
    """The report as CSV, formula-safe, a page per transaction."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((*REPORT_COLUMNS, "warnings"))
    after: int | None = None
    while True:
        with found.database.session(readonly=True) as session:
            rows = ImportRunRepository(session, found.clock).report(
                run_id, CSV_PAGE, after_id=after
            )
        for row in rows:
            cells = [safe_cell(getattr(row, column)) for column in REPORT_COLUMNS]
            writer.writerow([*cells, safe_cell("; ".join(row.warnings))])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if len(rows) < CSV_PAGE:
            return
        after = rows[-1].id
