"""`/prospects`: the list (search, filters, sort, keyset pages, bulk assign / delete / sync)
and `/prospects/{id}`: the Insight page (edit, assign, Sync with Salesforce, why, audit,
campaigns, account and opportunities, sync errors, form submissions).

Sales users see only the prospects assigned to them (`sees_only_assigned`): every other
prospect is 404 to them, in the list, on Insight and in bulk actions alike.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission, may, sees_only_assigned
from leadbridge.domain.fields import Origin
from leadbridge.errors import AccessDeniedError, ConflictError, InputError, NotFoundError
from leadbridge.store.prospect_search import ProspectQuery, ProspectSearch, Sort
from leadbridge.store.prospects import ProspectRepository
from leadbridge.store.users import UserRepository
from leadbridge.web.auth import allowed
from leadbridge.web.errors import redirect
from leadbridge.web.gateway import gateway
from leadbridge.web.params import MAX_ROW_ID, RowId
from leadbridge.web.prospects.editing import EDITABLE, check_changes
from leadbridge.web.prospects.insight import load_insight, visible_prospect
from leadbridge.web.prospects.sync_words import bulk_sync_words, sync_words
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)
Viewing = Annotated[Principal, Depends(allowed(Permission.PROSPECTS_VIEW))]
PAGE_SIZE = 50
MAX_BULK = 500
SHOWS = {"live": "Live prospects", "bin": "Recycle bin", "deleted": "Deleted in Salesforce"}
CRM = {"": "In Salesforce or not", "yes": "In Salesforce", "no": "Not in Salesforce"}


def _scope(principal: Principal) -> int | None:
    return principal.user_id if sees_only_assigned(principal.role) else None


def _require(principal: Principal, permission: Permission, what: str) -> None:
    if not may(principal.role, permission):
        raise AccessDeniedError(f"The {principal.role.label} role cannot {what}.")


# -- the list ------------------------------------------------------------------------------


@router.get("/prospects")
def prospect_list(
    request: Request,
    principal: Viewing,
    q: Annotated[str, Query(max_length=100)] = "",
    assigned: Annotated[str, Query(max_length=12, pattern=r"^(|none|[0-9]{1,10})$")] = "",
    crm: Annotated[str, Query(pattern=r"^(|yes|no)$")] = "",
    errors: Annotated[str, Query(pattern=r"^(|1)$")] = "",
    show: Annotated[str, Query(pattern=r"^(live|bin|deleted)$")] = "live",
    sort: Sort = Sort.UPDATED,
    after: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    scope = _scope(principal)
    assigned_id = int(assigned) if assigned.isdigit() and scope is None else None
    if assigned_id is not None and assigned_id > MAX_ROW_ID:
        raise InputError(f"must be at most {MAX_ROW_ID}", item="assigned")
    query = ProspectQuery(
        search=q,
        scope_user_id=scope,
        assigned_user_id=assigned_id,
        unassigned=assigned == "none" and scope is None,
        in_crm={"yes": True, "no": False}.get(crm),
        open_errors=errors == "1",
        recycled=show in ("bin", "deleted"),
        deleted_in_crm=show == "deleted",
        sort=sort,
        after=after or None,
        limit=PAGE_SIZE,
    )
    db = services(request).database
    with db.session(readonly=True) as session:
        page = ProspectSearch(session).page(query)
        users = [] if scope is not None else UserRepository(session).list(active_only=True)
    params = {"q": q, "assigned": assigned, "crm": crm, "errors": errors, "show": show}
    kept = {
        name: value for name, value in params.items() if value and (name, value) != ("show", "live")
    }
    if sort is not Sort.UPDATED:
        kept["sort"] = sort.value
    here = "/prospects" + (
        f"?{urlencode({**kept, **({'after': after} if after else {})})}" if kept or after else ""
    )
    next_url = (
        f"/prospects?{urlencode({**kept, 'after': page.next_after})}" if page.next_after else None
    )
    first_url = f"/prospects?{urlencode(kept)}" if after else None
    context: dict[str, Any] = {
        "title": "Prospects",
        "page": page,
        "filters": params | {"sort": sort.value},
        "scoped": scope is not None,
        "users": users,
        "shows": SHOWS,
        "crm_choices": CRM,
        "sorts": list(Sort),
        "next_url": next_url,
        "first_url": first_url,
        "here": here,
    }
    partial = request.headers.get("hx-target") == "prospect-results"
    return render(request, "prospects/_results.html" if partial else "prospects/list.html", context)


def _back(raw: str) -> str:
    """Where a bulk action returns: the list it was started from, nowhere else."""
    if raw.startswith("/prospects") and "//" not in raw and "\\" not in raw:
        return raw
    return "/prospects"


@router.post("/prospects/bulk")
def bulk(
    request: Request,
    principal: Viewing,
    action: Annotated[str, Form(pattern=r"^(assign|delete|sync)$")],
    ids: Annotated[list[Annotated[int, Form(ge=1, le=MAX_ROW_ID)]], Form()] = [],  # noqa: B006
    user_id: Annotated[str, Form(max_length=12, pattern=r"^(|none|[0-9]{1,10})$")] = "",
    back: Annotated[str, Form(max_length=2000)] = "/prospects",
) -> Response:
    to = _back(back)
    if not ids:
        return with_notice(redirect(request, to), "Tick at least one prospect first.")
    if len(ids) > MAX_BULK:
        raise InputError(f"at most {MAX_BULK} prospects at a time", item="ids")
    permission = {
        "assign": (Permission.PROSPECTS_ASSIGN, "assign prospects"),
        "delete": (Permission.PROSPECTS_DELETE, "delete prospects"),
        "sync": (Permission.PROSPECTS_SYNC, "sync prospects"),
    }[action]
    _require(principal, *permission)
    chosen = _visible_ids(request, ids, _scope(principal))
    if action == "sync":
        result = gateway(request).sync_prospects(chosen)
        return with_notice(redirect(request, to), bulk_sync_words(len(chosen), result))
    if action == "delete":
        _each(request, principal, chosen, lambda repo, pid, who: repo.recycle(pid, **who))
        return with_notice(redirect(request, to), f"{len(chosen):,} moved to the recycle bin.")
    target = _user_choice(request, user_id)
    _each(request, principal, chosen, lambda repo, pid, who: repo.assign(pid, target, **who))
    to_whom = "nobody (unassigned)" if target is None else "the chosen user"
    return with_notice(redirect(request, to), f"{len(chosen):,} assigned to {to_whom}.")


def _visible_ids(request: Request, ids: list[int], scope: int | None) -> list[int]:
    with services(request).database.session(readonly=True) as session:
        found = ProspectSearch(session).visible_ids(sorted(set(ids)), scope)
    missing = sorted(set(ids) - set(found))
    if missing:
        raise NotFoundError(f"no prospect with id {missing[0]}")
    return found


def _user_choice(request: Request, raw: str) -> int | None:
    if raw in ("", "none"):
        return None
    with services(request).database.session(readonly=True) as session:
        user = UserRepository(session).get(int(raw)) if int(raw) <= MAX_ROW_ID else None
    if user is None:
        raise NotFoundError(f"no user with id {raw}")
    return user.id


def _each(request: Request, principal: Principal, ids: list[int], change: Any) -> None:
    """Apply `change(repository, id, who)` to each prospect, in one transaction."""
    found = services(request)
    with found.database.session() as session:
        repo = ProspectRepository(session, found.clock)
        for prospect_id in ids:
            change(repo, prospect_id, {"origin": Origin.USER, "actor": principal.email})


# -- one prospect --------------------------------------------------------------------------


def _insight_page(
    request: Request,
    principal: Principal,
    prospect_id: int,
    *,
    audit_before: int | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = services(request)
    prospect = visible_prospect(found.database, found.clock, prospect_id, _scope(principal))
    insight = load_insight(found.database, found.clock, prospect, audit_before=audit_before)
    values = (
        form
        if form is not None
        else {
            name: "" if prospect.value(name) is None else str(prospect.value(name))
            for name, _ in EDITABLE
        }
    )
    context = {
        "title": prospect.email,
        "insight": insight,
        "p": prospect,
        "editable": EDITABLE,
        "values": values,
        "errors": errors or {},
        "can_edit": may(principal.role, Permission.PROSPECTS_EDIT) and not prospect.recycled,
        "can_assign": may(principal.role, Permission.PROSPECTS_ASSIGN) and not prospect.recycled,
        "can_sync": may(principal.role, Permission.PROSPECTS_SYNC) and not prospect.recycled,
    }
    return render(request, "prospects/insight.html", context, status_code=status)


@router.get("/prospects/{prospect_id}")
def insight(
    request: Request,
    principal: Viewing,
    prospect_id: RowId,
    audit_before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    return _insight_page(request, principal, prospect_id, audit_before=audit_before)


@router.post("/prospects/{prospect_id}")
async def edit(request: Request, principal: Viewing, prospect_id: RowId) -> Response:
    _require(principal, Permission.PROSPECTS_EDIT, "edit prospects")
    form = await request.form()
    submitted = {name: str(form.get(name, ""))[:5000] for name, _ in EDITABLE if name in form}
    return await run_in_threadpool(_save, request, principal, prospect_id, submitted)


def _save(
    request: Request, principal: Principal, prospect_id: int, submitted: dict[str, str]
) -> Response:
    found = services(request)
    prospect = visible_prospect(found.database, found.clock, prospect_id, _scope(principal))
    changes, errors = check_changes(found.database, submitted)
    if not errors:
        try:
            with found.database.session() as session:
                ProspectRepository(session, found.clock).update(
                    prospect.id, changes, origin=Origin.USER, actor=principal.email
                )
        except ConflictError as error:
            errors = {"email": str(error)}
        except InputError as error:
            errors = {error.item or "email": error.reason}
    if errors:
        return _insight_page(
            request, principal, prospect_id, form=submitted, errors=errors, status=422
        )
    return with_notice(redirect(request, f"/prospects/{prospect_id}"), "Prospect saved.")


@router.post("/prospects/{prospect_id}/assign")
def assign(
    request: Request,
    principal: Viewing,
    prospect_id: RowId,
    user_id: Annotated[str, Form(max_length=12, pattern=r"^(|none|[0-9]{1,10})$")] = "",
) -> Response:
    _require(principal, Permission.PROSPECTS_ASSIGN, "assign prospects")
    found = services(request)
    visible_prospect(found.database, found.clock, prospect_id, _scope(principal))
    target = _user_choice(request, user_id)
    with found.database.session() as session:
        ProspectRepository(session, found.clock).assign(
            prospect_id, target, origin=Origin.USER, actor=principal.email
        )
        name = None if target is None else UserRepository(session).get(target).email
    notice = "Unassigned." if name is None else f"Assigned to {name}."
    return with_notice(redirect(request, f"/prospects/{prospect_id}"), notice)


@router.post("/prospects/{prospect_id}/sync")
def sync(request: Request, principal: Viewing, prospect_id: RowId) -> Response:
    _require(principal, Permission.PROSPECTS_SYNC, "sync prospects")
    found = services(request)
    visible_prospect(found.database, found.clock, prospect_id, _scope(principal))
    result = gateway(request).sync_prospects([prospect_id])
    return with_notice(redirect(request, f"/prospects/{prospect_id}"), sync_words(result))
