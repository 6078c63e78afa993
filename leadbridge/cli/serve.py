"""`leadbridge serve`: the HTTP app (console, form handlers, API), with the sync loop beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from leadbridge.cli import context
from leadbridge.cli.output import console, errors, handle_errors

if TYPE_CHECKING:
    from leadbridge.sync.loop import Backoff

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def background_task(
    backoff: Backoff | None = None, wake: threading.Event | None = None
) -> Callable[[threading.Event], None]:
    """What runs beside the HTTP app until it stops: the sync loop, at the poll interval
    (read before each pause), each cycle under the sync lease, with one Salesforce client.

    It gets an Event that is set when the server stops, and returns soon after: the wave in
    flight completes, the lease is released, the client closed. Setting `wake` starts the
    next cycle at once (the console's "Sync now")."""
    from leadbridge.sync.loop import sync_loop

    def run_sync(stop: threading.Event) -> None:
        runner = context.SyncRunner(stop=stop)
        try:
            sync_loop(
                runner.run_once, stop, interval=runner.poll_interval, backoff=backoff, wake=wake
            )
        finally:
            runner.close()

    return run_sync


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8080,
) -> None:
    """Run the HTTP app: the console at /, POST /form-handlers/PUBLIC_ID for website forms,
    and the API under /api/v1 (an API key or a signed-in session). Stop it with Ctrl-C.

    Example: leadbridge serve --port 8080
    """
    from leadbridge.api import run_server
    from leadbridge.cli.console import console_app

    if host not in LOOPBACK:
        errors.print(
            "[yellow]Note:[/yellow] listening beyond this machine over plain HTTP: put it "
            "behind a TLS proxy (LEADBRIDGE_TRUSTED_PROXIES) so passwords and session "
            "cookies never cross the network in the clear.",
            highlight=False,
        )
    wake = threading.Event()
    settings = context.settings()
    app_hosts = _allowed_hosts(settings.allowed_hosts, host)
    spool = context.form_spool()
    form_posts = context.form_posts()  # PostgreSQL: posts kept, applied on a thread
    app = console_app(wake, spool, allowed_hosts=app_hosts, form_posts=form_posts)
    console.print(f"leadbridge is serving on http://{host}:{port}", highlight=False)
    if host not in LOOPBACK:
        console.print(
            f"It answers for the hosts {', '.join(app_hosts)} (set LEADBRIDGE_ALLOWED_HOSTS "
            "to the names people and websites use to reach it).",
            highlight=False,
        )
    background = [background_task(wake=wake), spool.drain_forever]
    if form_posts is not None:
        background.append(form_posts.process_forever)
    run_server(
        app,
        host,
        port,
        background=background,
        trusted_proxies=settings.trusted_proxies,
    )


def _allowed_hosts(configured: list[str], host: str) -> list[str]:
    """The configured hosts, and the address served on when it is a specific one (so
    `--host 192.0.2.7` answers at http://192.0.2.7:PORT without more configuration)."""
    if host in ("0.0.0.0", "::", "") or host in configured:
        return configured
    return [*configured, host]
