"""`leadbridge serve`: the HTTP app (form handlers, API), with the sync loop beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

import typer

from leadbridge.api import create_app, run_server
from leadbridge.api.intake import install_intake
from leadbridge.api.server import BackgroundFailedError
from leadbridge.cli import context
from leadbridge.cli.output import console, errors, handle_errors
from leadbridge.cli.pull import intake_service
from leadbridge.store.connector import ConnectorRepository
from leadbridge.sync.loop import sync_loop

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def background_task() -> Callable[[threading.Event], None] | None:
    """What runs beside the HTTP app until it stops: the sync loop, at the poll interval.

    It gets an Event that is set when the server stops, and returns soon after."""

    def run_sync(stop: threading.Event) -> None:
        with context.database().session(readonly=True) as session:
            interval = ConnectorRepository(session).settings().poll_interval_seconds
        sync_loop(context.sync_cycle_now, stop, interval=float(interval))

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
    if host not in LOOPBACK and not api_token:
        errors.print(
            "[yellow]Warning:[/yellow] listening beyond this machine without an API token: "
            "anyone who can reach it can read prospects (set LEADBRIDGE_API_TOKEN).",
            highlight=False,
        )
    app = create_app(context.database(), context.clock(), api_token=api_token)
    install_intake(app, intake_service())
    console.print(f"leadbridge is serving on http://{host}:{port}", highlight=False)
    try:
        run_server(app, host, port, background=background_task())
    except BackgroundFailedError as error:
        errors.print(f"[red]Error:[/red] {error}; the server was stopped.", highlight=False)
        raise typer.Exit(1) from None
