"""`/rules`: automation rules. The list; a rule's page (pause, resume, run now, preview,
delete); the builder to add or edit one, whose "Add condition", "Remove" and "Preview"
buttons post the whole form (to `/rules/builder` and `/rules/preview` with htmx, which answer
with the part of the page to replace; to the form's own address without JavaScript).

Everything goes through `RuleService`: running a rule changes prospects in the store, and
what must reach Salesforce goes through the outbox like any other change. Within a request,
nothing reads every prospect: a preview is bounded (PREVIEW_BOUND) and "Run now" is a
background job (web/rules/runs.py).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.automation import RuleService
from leadbridge.automation.rule_runs import RuleRunService
from leadbridge.automation.rules import MAX_REPEAT_DAYS, PreviewBound
from leadbridge.domain.access import Permission
from leadbridge.errors import ConflictError, InputError
from leadbridge.web.action_rows import ACTION_KINDS, row_errors
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.params import RowId
from leadbridge.web.rules.builder import (
    BLANK_OPERATORS,
    OPERATOR_LABELS,
    RuleDraft,
    condition_errors,
    draft_from_form,
    draft_from_rule,
    item_label,
    operators_for,
    repeat_days,
    value_hint,
)
from leadbridge.web.rules.runs import latest_run, rule_runs, run_rule
from leadbridge.web.templating import render, with_notice
from leadbridge.web.workers import workers

router = APIRouter(include_in_schema=False)
VIEW = [Depends(allowed(Permission.RULES_VIEW))]
MANAGE = [Depends(allowed(Permission.RULES_MANAGE))]
PREVIEW_SAMPLE = 10
# A preview answers within a request: it stops counting at 10,000 matches or after 2 s
# (a million prospects are not all read to answer "how many").
PREVIEW_BOUND = PreviewBound(matching=10_000, seconds=2.0)
PREVIEW_BATCH = 1000  # prospects read at a time (the bound is checked after each)


def _runs(request: Request) -> RuleRunService:
    found = services(request)
    return RuleRunService(found.database, found.clock)


def _service(request: Request) -> RuleService:
    found = services(request)
    return RuleService(found.database, found.clock)


@router.get("/rules", dependencies=VIEW)
def rules_page(request: Request) -> Response:
    rules = _service(request).list()
    return render(request, "rules/list.html", {"title": "Automation rules", "rules": rules})


@router.get("/rules/new", dependencies=MANAGE)
async def new_rule(request: Request) -> Response:
    return await _editor(request, RuleDraft())


@router.post("/rules/new", dependencies=MANAGE)
async def add_rule(request: Request) -> Response:
    return await _submit(request, None)


@router.post("/rules/builder", dependencies=MANAGE)
async def builder(request: Request) -> Response:
    """htmx: the conditions and actions after "Add …", "Remove" or a changed field."""
    form = await request.form()
    draft = draft_from_form(form)
    edited = draft.edited(str(form.get("op", ""))) or draft
    return await _editor(request, edited, fragment="rules/_builder.html")


@router.post("/rules/preview", dependencies=MANAGE)
async def preview_draft(request: Request) -> Response:
    """htmx: how many prospects the conditions being written match, and a few of them."""
    draft = draft_from_form(await request.form())
    preview = await run_in_threadpool(_draft_preview, _service(request), draft)
    return render(request, "rules/_preview.html", {"preview": preview})


@router.get("/rules/{rule_id}", dependencies=VIEW)
async def rule_page(request: Request, rule_id: RowId, preview: bool = False) -> Response:
    service = _service(request)
    rule = await run_in_threadpool(service.show, str(rule_id))
    shown = await run_in_threadpool(_rule_preview, service, rule_id) if preview else None
    labels = {str(op): label for op, label in OPERATOR_LABELS.items()}
    context = {
        "title": rule["name"],
        "rule": rule,
        "preview": shown,
        "operator_labels": labels,
        "run": await run_in_threadpool(latest_run, request.app, _runs(request), rule_id),
        "rule_id": rule_id,
    }
    return render(request, "rules/show.html", context)


@router.get("/rules/{rule_id}/preview", dependencies=VIEW)
def rule_preview(request: Request, rule_id: RowId) -> Response:
    preview = _rule_preview(_service(request), rule_id)
    return render(request, "rules/_preview.html", {"preview": preview})


@router.get("/rules/{rule_id}/edit", dependencies=MANAGE)
async def edit_rule(request: Request, rule_id: RowId) -> Response:
    rule = await run_in_threadpool(_service(request).show, str(rule_id))
    return await _editor(request, draft_from_rule(rule), rule_id=rule_id)


@router.post("/rules/{rule_id}/edit", dependencies=MANAGE)
async def update_rule(request: Request, rule_id: RowId) -> Response:
    await run_in_threadpool(_service(request).show, str(rule_id))  # 404 for a rule gone
    return await _submit(request, rule_id)


@router.post("/rules/{rule_id}/pause", dependencies=MANAGE)
async def pause_rule(request: Request, rule_id: RowId) -> Response:
    rule = await run_in_threadpool(_service(request).set_active, str(rule_id), False)
    message = f"Rule “{rule['name']}” is paused: it no longer runs when prospects change."
    return with_notice(redirect(request, f"/rules/{rule_id}"), message)


@router.post("/rules/{rule_id}/resume", dependencies=MANAGE)
async def resume_rule(request: Request, rule_id: RowId) -> Response:
    rule = await run_in_threadpool(_service(request).set_active, str(rule_id), True)
    message = (
        f"Rule “{rule['name']}” is active: it runs whenever prospects change. "
        "Use Run now for the prospects that already match."
    )
    return with_notice(redirect(request, f"/rules/{rule_id}"), message)


@router.post("/rules/{rule_id}/run", dependencies=MANAGE)
async def run_now(request: Request, rule_id: RowId, tasks: BackgroundTasks) -> Response:
    """Start running the rule over every prospect after the response (a background job:
    a million prospects take minutes); its page shows how far it got."""
    service = _service(request)
    rule = await run_in_threadpool(service.show, str(rule_id))
    page = redirect(request, f"/rules/{rule_id}")
    if not rule["active"]:
        reason = f"rule {rule['name']!r} is paused: preview it, then resume it to run it"
        return with_notice(page, f"Not run: {reason}")
    if workers(request) is not None:  # queued for the workers, a job per slice
        found = services(request)
        by_workers = RuleRunService(found.database, found.clock)
        principal = request.state.principal
        try:
            started = await run_in_threadpool(
                partial(by_workers.start, str(rule_id), actor=principal.email)
            )
        except ConflictError:
            return with_notice(page, "It is running already: its progress is below.")
        return with_notice(
            page,
            f"Running “{rule['name']}” over every prospect: {started['total']:,} prospects "
            f"queued for the workers in {started['slices']:,} slices.",
        )
    runs = rule_runs(request.app)
    if not runs.start(rule_id, services(request).clock.now()):
        return with_notice(page, "It is running already: its progress is below.")
    tasks.add_task(run_rule, service, runs, rule_id)
    return with_notice(page, f"Running “{rule['name']}” over every prospect now.")


@router.get("/rules/{rule_id}/run", dependencies=VIEW)
def run_progress(request: Request, rule_id: RowId) -> Response:
    """htmx: the latest run's progress (polled while it runs) or outcome."""
    found = services(request)
    run = latest_run(request.app, RuleRunService(found.database, found.clock), rule_id)
    return render(request, "rules/_run.html", {"run": run, "rule_id": rule_id})


@router.post("/rules/{rule_id}/delete", dependencies=MANAGE)
async def delete_rule(request: Request, rule_id: RowId) -> Response:
    rule = await run_in_threadpool(_service(request).delete, str(rule_id))
    message = f"Rule “{rule['name']}” deleted; the changes it made stay in the audit log."
    return with_notice(redirect(request, "/rules"), message)


# -- the builder ----------------------------------------------------------------------------


async def _submit(request: Request, rule_id: int | None) -> Response:
    """The builder's form posted without JavaScript: an edit of its rows, a preview, or Save."""
    form = await request.form()
    draft = draft_from_form(form)
    op = str(form.get("op", "save"))
    edited = draft.edited(op)
    if edited is not None or op == "refresh":
        return await _editor(request, edited or draft, rule_id=rule_id)
    service = _service(request)
    if op == "preview":
        preview = await run_in_threadpool(_draft_preview, service, draft)
        return await _editor(request, draft, rule_id=rule_id, preview=preview)
    problems = await run_in_threadpool(_problems, service, draft)
    if not problems:
        try:
            saved = await run_in_threadpool(_save, service, draft, rule_id)
        except (InputError, ConflictError) as error:
            item = error.item if isinstance(error, InputError) and error.item else "name"
            problems = {item: error.reason if isinstance(error, InputError) else str(error)}
    if problems:
        return await _editor(request, draft, rule_id=rule_id, problems=problems, status=422)
    verb = "added" if rule_id is None else "saved"
    state = "active" if saved["active"] else "paused"
    message = f"Rule “{saved['name']}” {verb} ({state})."
    return with_notice(redirect(request, f"/rules/{saved['id']}"), message)


def _save(service: RuleService, draft: RuleDraft, rule_id: int | None) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "criteria": draft.criteria_json(),
        "actions": draft.actions_json(),
        "match": draft.match,
        "repeat_after_days": repeat_days(draft),
    }
    if rule_id is None:
        return service.add(draft.name, active=not draft.paused, **definition)
    return service.update(str(rule_id), name=draft.name, **definition)


def _problems(service: RuleService, draft: RuleDraft) -> dict[str, str]:
    """Every problem of the draft, by item, so each shows next to its row."""
    problems = service.problems(draft.criteria_json(), draft.actions_json(), draft.match)
    if not draft.name.strip():
        problems["name"] = "Give the rule a name (it is the audit log's actor)."
    try:
        days = repeat_days(draft)
    except ValueError:
        problems["repeat_after_days"] = "A whole number of days."
    else:
        if days is not None and not 0 <= days <= MAX_REPEAT_DAYS:
            problems["repeat_after_days"] = f"Between 0 and {MAX_REPEAT_DAYS:,} days."
    return problems


def _draft_preview(service: RuleService, draft: RuleDraft) -> dict[str, Any]:
    problems = service.problems(draft.criteria_json(), [], draft.match)
    problems.pop("actions", None)
    if problems:
        return {"problems": {item_label(item): reason for item, reason in problems.items()}}
    result = service.preview_criteria(
        draft.criteria_json(),
        match=draft.match,
        sample=PREVIEW_SAMPLE,
        bound=PREVIEW_BOUND,
        batch_size=PREVIEW_BATCH,
    )
    return {"result": result}


def _rule_preview(service: RuleService, rule_id: int) -> dict[str, Any]:
    try:
        result = service.preview(
            str(rule_id), sample=PREVIEW_SAMPLE, bound=PREVIEW_BOUND, batch_size=PREVIEW_BATCH
        )
        return {"result": result}
    except InputError as error:
        return {"problems": {item_label(error.item or "rule"): error.reason}}


async def _editor(
    request: Request,
    draft: RuleDraft,
    *,
    rule_id: int | None = None,
    problems: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    status: int = 200,
    fragment: str | None = None,
) -> Response:
    choices = await run_in_threadpool(_service(request).choices)
    found = problems or {}
    context = {
        "title": "New rule" if rule_id is None else f"Edit {draft.name}",
        "draft": draft,
        "rule_id": rule_id,
        "form_action": "/rules/new" if rule_id is None else f"/rules/{rule_id}/edit",
        "choices": choices,
        "errors": found,
        "condition_errors": condition_errors(found),
        "action_errors": row_errors(found),
        "operators_for": operators_for,
        "value_hint": value_hint,
        "blank_operators": BLANK_OPERATORS,
        "action_kinds": ACTION_KINDS,
        "preview": preview,
    }
    return render(request, fragment or "rules/edit.html", context, status_code=status)
