"""`/fields`: the field mappings, each field's sync behaviour and blank rule, and adding a
custom field mapped to an org field of a compatible type. Viewing needs FIELDS_VIEW;
changes FIELDS_MANAGE."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission
from leadbridge.domain.fields import FieldType, SyncBehaviour
from leadbridge.errors import ConflictError, InputError
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.fields.service import (
    BEHAVIOUR_LABELS,
    TYPE_LABELS,
    NewField,
    add_custom_field,
    fields_view,
    offered_fields,
    set_behaviour,
)
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)
VIEW = [Depends(allowed(Permission.FIELDS_VIEW))]
MANAGE = Depends(allowed(Permission.FIELDS_MANAGE))
PAGE = "/fields"
FieldName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Text = Annotated[str, Form(max_length=255)]


def _choice(enum: type[FieldType] | type[SyncBehaviour], raw: str, item: str) -> str | None:
    values = {str(v) for v in enum}
    return None if raw in values else f"Choose one of the {item} offered."


def _page(
    request: Request,
    *,
    field_type: FieldType = FieldType.TEXT,
    errors: dict[str, str] | None = None,
    new: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = fields_view(services(request).database, field_type)
    return render(
        request,
        "fields/fields.html",
        {
            "title": "Field mappings",
            "view": view,
            "behaviours": BEHAVIOUR_LABELS,
            "types": TYPE_LABELS,
            "errors": errors or {},
            "add_failed": any(not key.startswith("row:") for key in errors or {}),
            "new": new or {"type": str(field_type)},
        },
        status_code=status,
    )


@router.get(PAGE, dependencies=VIEW)
async def fields_page(request: Request) -> Response:
    return await run_in_threadpool(_page, request)


@router.get(f"{PAGE}/org-fields", dependencies=VIEW)
def org_fields(request: Request, type: Annotated[str, Query(max_length=20)] = "text") -> Response:
    """The <option>s of org fields a `type` field may map to (htmx swaps them in)."""
    field_type = FieldType(type) if type in {str(t) for t in FieldType} else FieldType.TEXT
    offered = offered_fields(services(request).database, field_type)
    return render(request, "fields/org_options.html", {"offered": offered, "chosen": ""})


@router.post(f"{PAGE}/{{name}}/behaviour")
def change_behaviour(
    request: Request,
    name: FieldName,
    principal: Principal = MANAGE,
    behaviour: Text = "",
    blank_overwrites: Text = "",
) -> Response:
    problem = _choice(SyncBehaviour, behaviour, "sync behaviours")
    if problem is None:
        try:
            changed = set_behaviour(
                services(request).database,
                name=name,
                behaviour=SyncBehaviour(behaviour),
                blank_overwrites=bool(blank_overwrites),
                actor=principal.email,
                now=services(request).clock.now(),
            )
        except InputError as error:
            problem = error.reason[0].upper() + error.reason[1:] + "."
    if problem is not None:
        return _page(request, errors={f"row:{name}": problem}, status=422)
    if not changed:
        return with_notice(redirect(request, PAGE), f"{name}: nothing changed.")
    message = f"{name} now: {BEHAVIOUR_LABELS[SyncBehaviour(behaviour)]}" + (
        "; clearing it in one system clears it in the other." if blank_overwrites else "."
    )
    return with_notice(redirect(request, f"{PAGE}#field-{name}"), message)


@router.post(f"{PAGE}/custom")
def add_field(
    request: Request,
    principal: Principal = MANAGE,
    name: Text = "",
    label: Text = "",
    type: Text = "text",
    options: Annotated[str, Form(max_length=10_000)] = "",
    crm_field: Text = "",
    behaviour: Text = "use_salesforce",
) -> Response:
    given = {
        "name": name,
        "label": label,
        "type": type,
        "options": options,
        "crm_field": crm_field,
        "behaviour": behaviour,
    }
    errors: dict[str, str] = {}
    if problem := _choice(FieldType, type, "field types"):
        errors["type"] = problem
    if problem := _choice(SyncBehaviour, behaviour, "sync behaviours"):
        errors["behaviour"] = problem
    field_type = FieldType(type) if "type" not in errors else FieldType.TEXT
    if not errors:
        new = NewField(
            name=name.strip(),
            label=label.strip() or name.strip().replace("_", " ").title(),
            type=field_type,
            options=[o for o in (line.strip() for line in options.splitlines()) if o],
            crm_field=crm_field.strip(),
            behaviour=SyncBehaviour(behaviour),
        )
        try:
            found = services(request)
            add_custom_field(found.database, new, actor=principal.email, now=found.clock.now())
        except (InputError, ConflictError) as error:
            errors[_item(error)] = _sentence(error)
    if errors:
        return _page(request, field_type=field_type, errors=errors, new=given, status=422)
    mapped = f", mapped to {new.crm_field} on Lead and Contact" if new.crm_field else ""
    message = f"Field {new.name} added{mapped}."
    return with_notice(redirect(request, f"{PAGE}#field-{new.name}"), message)


def _item(error: InputError | ConflictError) -> str:
    item = getattr(error, "item", None) or ""
    if item.startswith("field name"):
        return "name"
    return item if item in {"options", "crm_field"} else "name"


def _sentence(error: InputError | ConflictError) -> str:
    text = getattr(error, "reason", None) or str(error)
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
