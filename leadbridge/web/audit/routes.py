"""`/audit`: prospect field changes (field, old → new, origin, actor, time) and, on
`/audit/settings`, settings changes; both filtered and paged by keyset, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadbridge.api.state import services
from leadbridge.domain.access import Permission
from leadbridge.domain.fields import Origin
from leadbridge.store.audit_query import audit_actors, audit_page
from leadbridge.store.settings_changes import SettingsChangeRepository
from leadbridge.web.audit.filters import parse_audit, parse_settings
from leadbridge.web.audit_changes import shown_changes
from leadbridge.web.auth import allowed
from leadbridge.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(allowed(Permission.AUDIT_VIEW))])
PAGE_SIZE = 50


@router.get("/audit")
def prospect_changes(request: Request) -> Response:
    parsed, flt = parse_audit(dict(request.query_params))
    with services(request).database.session(readonly=True) as session:
        lines = audit_page(session, flt, PAGE_SIZE + 1, before_id=parsed.before)
        actors = audit_actors(session)
        more = len(lines) > PAGE_SIZE
        lines = lines[:PAGE_SIZE]
        shown = shown_changes(session, (line.entry for line in lines))
    context = {
        "title": "Audit log",
        "tab": "prospects",
        "f": parsed,
        "errors": parsed.errors,
        "lines": lines,
        "shown": shown,
        "actors": actors,
        "origins": list(Origin),
        "next_url": f"?{parsed.query(before=str(lines[-1].entry.id))}" if more else None,
        "first_url": f"?{parsed.query()}" if parsed.before else None,
    }
    status = 422 if parsed.errors else 200
    return render(request, "audit/prospects.html", context, status_code=status)


@router.get("/audit/settings")
def settings_changes(request: Request) -> Response:
    parsed, flt = parse_settings(dict(request.query_params))
    with services(request).database.session(readonly=True) as session:
        trail = SettingsChangeRepository(session)
        changes = trail.page(flt, PAGE_SIZE + 1, before_id=parsed.before)
        areas = trail.areas()
    more = len(changes) > PAGE_SIZE
    changes = changes[:PAGE_SIZE]
    context = {
        "title": "Audit log · Settings",
        "tab": "settings",
        "f": parsed,
        "errors": parsed.errors,
        "changes": changes,
        "areas": areas,
        "next_url": f"?{parsed.query(before=str(changes[-1].id))}" if more else None,
        "first_url": f"?{parsed.query()}" if parsed.before else None,
    }
    status = 422 if parsed.errors else 200
    return render(request, "audit/settings.html", context, status_code=status)
