"""`/connector`: the connector's status (refreshed in place every 5 s), its actions and its
settings form. Viewing needs CONNECTOR_VIEW; every action and setting CONNECTOR_MANAGE."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import Services, services
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission
from leadbridge.errors import ConfigurationError, LeadbridgeError
from leadbridge.store.auto_create import AutoCreateState
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.connector_status import record_verify
from leadbridge.store.settings_changes import SettingsChangeRepository
from leadbridge.web.auth import allowed
from leadbridge.web.connector.settings_form import FIELDS, LABELS, Parsed, current_raw, parse_form
from leadbridge.web.connector.views import AREA, connector_view
from leadbridge.web.errors import redirect
from leadbridge.web.gateway import gateway
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)
VIEW = [Depends(allowed(Permission.CONNECTOR_VIEW))]
MANAGE = Depends(allowed(Permission.CONNECTOR_MANAGE))
PAGE = "/connector"


def _page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = services(request)
    view = connector_view(found.database, found.clock)
    return render(
        request,
        "connector/connector.html",
        {
            "title": "Connector",
            "view": view,
            "fields": FIELDS,
            "labels": {**LABELS, "paused": "Paused"},
            "form": form or current_raw(view.settings),
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get(PAGE, dependencies=VIEW)
async def connector_page(request: Request) -> Response:
    return await run_in_threadpool(_page, request)


@router.get(f"{PAGE}/status", dependencies=VIEW)
def connector_status(request: Request) -> Response:
    """The live status panel alone (htmx polls it)."""
    found = services(request)
    view = connector_view(found.database, found.clock, with_changes=False)
    return render(request, "connector/status.html", {"view": view})


def _set_paused(found: Services, actor: Principal, paused: bool) -> bool:
    """Pause or resume; whether anything changed (audited when it did)."""
    with found.database.session() as session:
        repo = ConnectorRepository(session)
        config = repo.get()
        if config is None:
            raise ConfigurationError("there is no connector yet: add one with the CLI first")
        if config.paused == paused:
            return False
        repo.pause() if paused else repo.resume()
        SettingsChangeRepository(session).record(
            at=found.clock.now(),
            actor=actor.email,
            area=AREA,
            subject="connector",
            field="paused",
            old=config.paused,
            new=paused,
        )
    return True


@router.post(f"{PAGE}/pause")
def pause(request: Request, principal: Principal = MANAGE) -> Response:
    changed = _set_paused(services(request), principal, True)
    message = "Connector paused: automatic sync is stopped." if changed else "Already paused."
    return with_notice(redirect(request, PAGE), message)


@router.post(f"{PAGE}/resume")
def resume(request: Request, principal: Principal = MANAGE) -> Response:
    changed = _set_paused(services(request), principal, False)
    message = "Connector resumed: sync runs at every poll." if changed else "Already running."
    return with_notice(redirect(request, PAGE), message)


@router.post(f"{PAGE}/sync-now")
def sync_now(request: Request, principal: Principal = MANAGE) -> Response:
    gateway(request).sync_now()
    return with_notice(
        redirect(request, PAGE), "A sync cycle starts now (a paused connector skips it)."
    )


def _verify_message(report: dict[str, Any]) -> str:
    problems = list(report.get("problems") or [])
    objects = ", ".join(report.get("objects") or {})
    if report.get("ok"):
        extra = f" {len(problems)} problem(s) to look at below." if problems else ""
        return f"Verified: leadbridge can read {objects}.{extra}"
    return f"Not verified: {len(problems)} problem(s), listed below."


@router.post(f"{PAGE}/verify")
def verify(request: Request, principal: Principal = MANAGE) -> Response:
    found = services(request)
    try:
        report = gateway(request).verify()
    except ConfigurationError:
        raise
    except LeadbridgeError as error:
        # Salesforce refused the login or the describe: keep that as the last outcome.
        with found.database.session() as session:
            record_verify(
                ConnectorRepository(session), ok=False, problems=[str(error)], at=found.clock.now()
            )
        return with_notice(redirect(request, PAGE), f"Not verified: {error}")
    return with_notice(redirect(request, PAGE), _verify_message(report))


def _apply(found: Services, actor: Principal, parsed: Parsed) -> list[str]:
    """Save the changed settings, each audited; the labels of what changed."""
    now = found.clock.now()
    with found.database.session() as session:
        repo = ConnectorRepository(session)
        if repo.get() is None:
            raise ConfigurationError("there is no connector yet: add one with the CLI first")
        changes = parsed.changes(repo.settings())
        audit = SettingsChangeRepository(session)
        for name, (old, new) in changes.items():
            repo.set_setting(name, parsed.raw[name])
            audit.record(
                at=now,
                actor=actor.email,
                area=AREA,
                subject="connector",
                field=name,
                old=old,
                new=new,
            )
        if "auto_create_prospects" in changes:
            state = AutoCreateState(repo)
            if parsed.values["auto_create_prospects"]:
                # On leadbridge's clock: the next cycle converts it to Salesforce's.
                state.switched_on(now, org_clock=False, now=now)
            else:
                state.switched_off(now)
    return [LABELS[name] for name in changes]


@router.post(f"{PAGE}/settings")
async def save_settings(request: Request, principal: Principal = MANAGE) -> Response:
    form = await request.form()
    parsed = parse_form({k: v for k, v in form.items() if isinstance(v, str)})
    if parsed.errors:
        return await run_in_threadpool(
            lambda: _page(request, form=parsed.raw, errors=parsed.errors, status=422)
        )
    changed = await run_in_threadpool(_apply, services(request), principal, parsed)
    message = f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
    return with_notice(redirect(request, f"{PAGE}#settings"), message)
