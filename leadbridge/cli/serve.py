"""`leadbridge serve`: the HTTP app (form handlers, API), with the sync loop beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

import typer

from leadbridge.api import create_app, run_server
from leadbridge.api.forms import install_spool
from leadbridge.api.intake import install_intake
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.cli import context
from leadbridge.cli.output import console, errors, handle_errors
from leadbridge.cli.pull import intake_service
from leadbridge.sync.loop import Backoff, sync_loop

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def background_task(backoff: Backoff | None = None) -> Callable[[threading.Event], None]:
    """What runs beside the HTTP app until it stops: the sync loop, at the poll interval
    (read before each pause), each cycle under the sync lease, with one Salesforce client.

    It gets an Event that is set when the server stops, and returns soon after: the wave in
    flight completes, the lease is released, the client closed."""

    def run_sync(stop: threading.Event) -> None:
        runner = context.SyncRunner(stop=stop)
        try:
            sync_loop(runner.run_once, stop, interval=runner.poll_interval, backoff=backoff)
        finally:
            runner.close()

    return run_sync


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8080,
    api_token: Annotated[
        str | None,
        typer.Option(
            envvar="LEADBRIDGE_API_TOKEN",
            help="Require this bearer token on /api/v1/prospects (env LEADBRIDGE_API_TOKEN).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the HTTP app: POST /form-handlers/PUBLIC_ID for website forms, GET /api/v1/health and
    GET /api/v1/prospects/ID_OR_EMAIL. Stop it with Ctrl-C.

    Example: leadbridge serve --port 8080
    """
    if host not in LOOPBACK and not api_token:
        errors.print(
            "[yellow]Warning:[/yellow] listening beyond this machine without an API token: "
            "anyone who can reach it can read prospects (set LEADBRIDGE_API_TOKEN).",
            highlight=False,
        )
    settings = context.settings()
    app_hosts = _allowed_hosts(settings.allowed_hosts, host)
    app = create_app(
        context.database(),
        context.clock(),
        api_token=api_token,
        form_rate=RateLimiter(settings.form_rate_per_minute, settings.form_rate_burst),
        allowed_hosts=app_hosts,
    )
    install_intake(app, intake_service())
    spool = context.form_spool()
    install_spool(app, spool)
    console.print(f"leadbridge is serving on http://{host}:{port}", highlight=False)
    if host not in LOOPBACK:
        console.print(
            f"It answers for the hosts {', '.join(app_hosts)} (set LEADBRIDGE_ALLOWED_HOSTS "
            "to the names people and websites use to reach it).",
            highlight=False,
        )
    run_server(
        app,
        host,
        port,
        background=[background_task(), spool.drain_forever],
        trusted_proxies=settings.trusted_proxies,
    )


def _allowed_hosts(configured: list[str], host: str) -> list[str]:
    """The configured hosts, and the address served on when it is a specific one (so
    `--host 192.0.2.7` answers at http://192.0.2.7:PORT without more configuration)."""
    if host in ("0.0.0.0", "::", "") or host in configured:
        return configured
    return [*configured, host]
