"""`/forms`: form handlers. The list; a handler's page (its public URL, the HTML snippet to
paste into a website, what it maps, its recent submissions; pause, resume); the editor to
add or change one. Everything goes through `FormHandlerService`; the public URL is the
service's path for the handler on this server's base URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.automation import FormHandlerService, RuleService
from leadbridge.domain.access import Permission
from leadbridge.domain.forms import HONEYPOT_FIELD
from leadbridge.errors import ConflictError, InputError
from leadbridge.web.action_rows import ACTION_KINDS, row_errors
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.forms.draft import FormDraft, draft_from_form, draft_from_handler
from leadbridge.web.forms.snippet import LABELS, form_snippet
from leadbridge.web.params import RowId
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)
VIEW = [Depends(allowed(Permission.FORMS_VIEW))]
MANAGE = [Depends(allowed(Permission.FORMS_MANAGE))]
RECENT = 25


def _service(request: Request) -> FormHandlerService:
    found = services(request)
    return FormHandlerService(found.database, found.clock)


def public_url(request: Request, handler: dict[str, Any]) -> str:
    """Where a website posts: this server's base URL and the handler's public path."""
    return str(request.base_url).rstrip("/") + str(handler["path"])


@router.get("/forms", dependencies=VIEW)
def forms_page(request: Request) -> Response:
    handlers = _service(request).list()
    for handler in handlers:
        handler["url"] = public_url(request, handler)
    return render(request, "forms/list.html", {"title": "Form handlers", "handlers": handlers})


@router.get("/forms/new", dependencies=MANAGE)
async def new_form(request: Request) -> Response:
    return await _editor(request, FormDraft())


@router.post("/forms/new", dependencies=MANAGE)
async def add_form(request: Request) -> Response:
    return await _submit(request, None)


@router.post("/forms/builder", dependencies=MANAGE)
async def builder(request: Request) -> Response:
    """htmx: the field and action rows after "Add …" or "Remove"."""
    form = await request.form()
    draft = draft_from_form(form)
    edited = draft.edited(str(form.get("op", ""))) or draft
    return await _editor(request, edited, fragment="forms/_builder.html")


@router.get("/forms/{handler_id}", dependencies=VIEW)
def form_page(request: Request, handler_id: RowId) -> Response:
    service = _service(request)
    handler = service.show(str(handler_id))
    url = public_url(request, handler)
    context = {
        "title": handler["name"],
        "handler": handler,
        "url": url,
        "snippet": form_snippet(url, handler["field_map"], handler["required"]),
        "submissions": service.recent_submissions(str(handler_id), RECENT),
        "labels": LABELS,
        "honeypot": HONEYPOT_FIELD,
    }
    return render(request, "forms/show.html", context)


@router.get("/forms/{handler_id}/edit", dependencies=MANAGE)
async def edit_form(request: Request, handler_id: RowId) -> Response:
    handler = await run_in_threadpool(_service(request).show, str(handler_id))
    return await _editor(request, draft_from_handler(handler), handler_id=handler_id)


@router.post("/forms/{handler_id}/edit", dependencies=MANAGE)
async def update_form(request: Request, handler_id: RowId) -> Response:
    await run_in_threadpool(_service(request).show, str(handler_id))  # 404 for one gone
    return await _submit(request, handler_id)


@router.post("/forms/{handler_id}/pause", dependencies=MANAGE)
async def pause_form(request: Request, handler_id: RowId) -> Response:
    handler = await run_in_threadpool(_service(request).set_active, str(handler_id), False)
    message = f"Form handler “{handler['name']}” is paused: posts to it are refused (410 Gone)."
    return with_notice(redirect(request, f"/forms/{handler_id}"), message)


@router.post("/forms/{handler_id}/resume", dependencies=MANAGE)
async def resume_form(request: Request, handler_id: RowId) -> Response:
    handler = await run_in_threadpool(_service(request).set_active, str(handler_id), True)
    message = f"Form handler “{handler['name']}” is active: it accepts posts again."
    return with_notice(redirect(request, f"/forms/{handler_id}"), message)


# -- the editor ------------------------------------------------------------------------------


async def _submit(request: Request, handler_id: int | None) -> Response:
    form = await request.form()
    draft = draft_from_form(form)
    op = str(form.get("op", "save"))
    edited = draft.edited(op)
    if edited is not None or op == "refresh":
        return await _editor(request, edited or draft, handler_id=handler_id)
    problems, rows = await run_in_threadpool(_problems, request, draft)
    if not problems and not rows:
        try:
            saved = await run_in_threadpool(_save, _service(request), draft, handler_id)
        except (InputError, ConflictError) as error:
            item = error.item if isinstance(error, InputError) else "name"
            reason = error.reason if isinstance(error, InputError) else str(error)
            row = draft.row_of(item)
            if row is not None:
                rows[row] = reason
            else:
                problems[_form_item(item)] = reason
    if problems or rows:
        return await _editor(
            request, draft, handler_id=handler_id, problems=problems, rows=rows, status=422
        )
    verb = "added" if handler_id is None else "saved"
    message = f"Form handler “{saved['name']}” {verb}. Paste the snippet below into your website."
    return with_notice(redirect(request, f"/forms/{saved['id']}"), message)


def _form_item(item: str | None) -> str:
    """Where a service error shows on the form: the name, or above the field rows."""
    return "name" if item in (None, "name") else "fields"


def _save(service: FormHandlerService, draft: FormDraft, handler_id: int | None) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "field_map": draft.field_map(),
        "required": draft.required(),
        "actions": draft.actions_json(),
        "reject_unknown": draft.reject_unknown,
    }
    if handler_id is None:
        return service.add(draft.name, **definition)
    return service.update(str(handler_id), name=draft.name, **definition)


def _problems(request: Request, draft: FormDraft) -> tuple[dict[str, str], dict[int, str]]:
    """Problems by item (name, actions[i]…) and field rows by index."""
    state = services(request)
    problems = RuleService(state.database, state.clock).problems([], draft.actions_json(), "all")
    problems = {k: v for k, v in problems.items() if k.startswith("actions[")}
    if not draft.name.strip():
        problems["name"] = "Give the form handler a name (it is the audit log's actor)."
    if not draft.fields:
        problems["fields"] = "Add at least the email field."
    return problems, draft.row_problems()


async def _editor(
    request: Request,
    draft: FormDraft,
    *,
    handler_id: int | None = None,
    problems: dict[str, str] | None = None,
    rows: dict[int, str] | None = None,
    status: int = 200,
    fragment: str | None = None,
) -> Response:
    state = services(request)
    settable = await run_in_threadpool(_service(request).settable_fields)
    choices = await run_in_threadpool(RuleService(state.database, state.clock).choices)
    found = problems or {}
    context = {
        "title": "New form handler" if handler_id is None else f"Edit {draft.name}",
        "draft": draft,
        "handler_id": handler_id,
        "form_action": "/forms/new" if handler_id is None else f"/forms/{handler_id}/edit",
        "settable": settable,
        "labels": LABELS,
        "choices": choices,
        "errors": found,
        "field_errors": rows or {},
        "action_errors": row_errors(found),
        "action_kinds": ACTION_KINDS,
    }
    return render(request, fragment or "forms/edit.html", context, status_code=status)
