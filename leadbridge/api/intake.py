"""Bringing Salesforce leads and contacts in over HTTP (`/api/v1`).

- `POST /api/v1/connector/send`: bring these Salesforce leads and contacts in, JSON
  `{"ids": [...]}` (the "Send to leadbridge" button opens the console's confirmation page,
  which calls the same gateway).
- `POST /api/v1/imports[?undelete=true]`: a CSV upload, as `text/csv` or multipart (`file`).
  200 with a result per row. An import that stops midway answers with the error envelope and
  the same report beside it (`stopped`: line, code, cause): 503 when Salesforce is unavailable
  or the API allowance is spent, 502 when Salesforce refused otherwise, 500 for anything else.
  The batches before the stop stay written; sending the same file again finishes it.

Both need an API key or a signed-in session (see `api/auth.py`) whose role may do it.
The HTTP app never talks to Salesforce itself: whoever serves it installs an `IntakeGateway`
(`install_intake`); without one these routes answer 503.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from leadbridge.api.auth import api_may
from leadbridge.api.errors import ApiError
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission

router = APIRouter(prefix="/api/v1", tags=["api"])
MAX_IDS = 2000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class IntakeGateway(Protocol):
    """What the routes need from the sync side (`leadbridge.importing.IntakeService`)."""

    def send_json(self, ids: list[str]) -> dict[str, Any]: ...

    def import_json(self, data: bytes, *, undelete: bool) -> dict[str, Any]: ...


def install_intake(app: FastAPI, gateway: IntakeGateway) -> None:
    app.state.intake = gateway


def _gateway(request: Request) -> IntakeGateway:
    found: IntakeGateway | None = getattr(request.app.state, "intake", None)
    if found is None:
        raise ApiError(503, "not_configured", "this server has no Salesforce connection")
    return found


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


@router.post("/connector/send")
async def send(
    request: Request,
    _caller: Annotated[Principal, Depends(api_may(Permission.SEND_TO_LEADBRIDGE))],
) -> Any:
    """Create or link the prospects of these Salesforce leads and contacts; a result per id."""
    body = await request.body()
    if len(body) > 256 * 1024:
        raise ApiError(413, "payload_too_large", "send at most 2,000 ids at a time")
    ids = _json_ids(body)
    if not ids:
        raise ApiError(422, "invalid", "give at least one Salesforce id", field="ids")
    if len(ids) > MAX_IDS:
        raise ApiError(422, "invalid", f"send at most {MAX_IDS} ids at a time", field="ids")
    return await run_in_threadpool(_gateway(request).send_json, ids)


def _json_ids(body: bytes) -> list[str]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "bad_request", "the body is not JSON") from None
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise ApiError(422, "invalid", 'send {"ids": ["00Q…", "003…"]}', field="ids")
    return [item.strip() for item in ids if item.strip()]


@router.post("/imports")
async def import_csv(
    request: Request,
    _caller: Annotated[Principal, Depends(api_may(Permission.IMPORT))],
    undelete: Annotated[bool, Query()] = False,
) -> Any:
    """Import a CSV of emails and prospect fields; a result per row, with line numbers."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise ApiError(413, "payload_too_large", "the file is larger than 50 MB")
    body = await request.body()
    media_type = _media_type(request)
    if media_type == "multipart/form-data":
        data = _multipart_file(request.headers.get("content-type", ""), body)
    elif media_type in ("text/csv", "text/plain", "application/csv"):
        data = body
    else:
        raise ApiError(415, "unsupported_media_type", "send text/csv or multipart/form-data")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "payload_too_large", "the file is larger than 50 MB")
    gateway = _gateway(request)
    result: dict[str, Any] = await run_in_threadpool(
        lambda: gateway.import_json(data, undelete=undelete)
    )
    stopped = result.get("stopped")
    return result if not stopped else _stopped(result, stopped)


def _stopped(result: dict[str, Any], stopped: dict[str, Any]) -> JSONResponse:
    """The error envelope, with the report of every row beside it."""
    if stopped.get("salesforce"):
        status = 503 if stopped.get("retryable") else 502
    else:
        status = 503 if stopped.get("retryable") else 500
    message = (
        f"the import stopped at line {stopped.get('line')}: {stopped.get('cause')}; the rows "
        "before it are written (see results); send the same file again to finish"
    )
    error = {"code": "import_stopped", "message": message, "field": None}
    return JSONResponse({"error": error, **result}, status_code=status)


def _multipart_file(content_type: str, body: bytes) -> bytes:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    for part in message.iter_parts() if message.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise ApiError(422, "invalid", "send the CSV in a form field named 'file'", field="file")
