"""The HTTP app: the public form handler endpoint and the management API.

Built by `create_app` (never at import time), with the database and clock it should use, so
tests and `leadbridge serve` each get their own.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from leadbridge.api import forms, prospects
from leadbridge.api import intake as intake_routes
from leadbridge.api.body_limit import BodyLimitMiddleware
from leadbridge.api.errors import install_error_handlers
from leadbridge.api.form_fast_path import FormPostFastPath
from leadbridge.api.forms import FormGuard
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.api.security import install_security
from leadbridge.api.state import Services
from leadbridge.auth import AuthService
from leadbridge.ports import Clock
from leadbridge.settings import DEFAULT_ALLOWED_HOSTS
from leadbridge.store.database import Database


def create_app(
    database: Database,
    clock: Clock,
    *,
    form_rate: RateLimiter | None = None,
    allowed_hosts: Sequence[str] | None = None,
    console: bool = True,
) -> FastAPI:
    """The app over `database`: public form handlers, the API (API key or session), and
    the console's pages unless `console` is False. `form_rate` limits form posts per client
    IP (default: 30 a minute, 10 at once); `allowed_hosts` are the Host names it answers
    for (default: this machine's, and tests')."""
    app = FastAPI(
        title="leadbridge",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.leadbridge = Services(database, clock, AuthService(database, clock))
    app.state.leadbridge_forms = FormGuard(form_rate or RateLimiter(30, 10))
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    install_security(app, allowed_hosts=allowed_hosts or DEFAULT_ALLOWED_HOSTS)
    app.add_middleware(FormPostFastPath, allowed_hosts=list(allowed_hosts or DEFAULT_ALLOWED_HOSTS))
    app.include_router(forms.router)
    app.include_router(prospects.router)
    app.include_router(intake_routes.router)
    if console:
        from leadbridge.web import install_console

        install_console(app)
    return app
