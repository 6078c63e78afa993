"""`leadbridge serve`: the HTTP app (form handlers, API), with the sync loop beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from leadbridge.cli import context
from leadbridge.cli.output import console, errors, handle_errors
from leadbridge.cli.pull import intake_service

if TYPE_CHECKING:
    from leadbridge.sync.loop import Backoff

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def background_task(backoff: Backoff | None = None) -> Callable[[threading.Event], None]:
    """What runs beside the HTTP app until it stops: the sync loop, at the poll interval
    (read before each pause), each cycle under the sync lease, with one Salesforce client.

    It gets an Event that is set when the server stops, and returns soon after: the wave in
    flight completes, the lease is released, the client closed."""
    from leadbridge.sync.loop import sync_loop

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
    """Run the HTTP app: POST /form-handlers/ID for website forms, GET /api/v1/health and
    GET /api/v1/prospects/ID_OR_EMAIL. Stop it with Ctrl-C.

    Example: leadbridge serve --port 8080
    """
    from leadbridge.api import create_app, run_server
    from leadbridge.api.forms import install_spool
    from leadbridge.api.intake import install_intake
    from leadbridge.api.rate_limit import RateLimiter

    if host not in LOOPBACK and not api_token:
        errors.print(
            "[yellow]Warning:[/yellow] listening beyond this machine without an API token: "
            "anyone who can reach it can read prospects (set LEADBRIDGE_API_TOKEN).",
            highlight=False,
        )
    settings = context.settings()
    app = create_app(
        context.database(),
        context.clock(),
        api_token=api_token,
        form_rate=RateLimiter(settings.form_rate_per_minute, settings.form_rate_burst),
    )
    install_intake(app, intake_service())
    spool = context.form_spool()
    install_spool(app, spool)
    console.print(f"leadbridge is serving on http://{host}:{port}", highlight=False)
    run_server(app, host, port, background=[background_task(), spool.drain_forever])
