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
        runner.start_stream()
        try:
            sync_loop(
                runner.run_once, stop, interval=runner.poll_interval, backoff=backoff, wake=wake
            )
        finally:
            runner.close()

    return run_sync


def wake_workers(wake: threading.Event) -> Callable[[threading.Event], None]:
    """With --no-sync: the console's "Sync now" makes the workers' next dispatch (within
    5 seconds) a full poll."""

    def forward(stop: threading.Event) -> None:
        from leadbridge.workers.jobs import wake_dispatch

        while not stop.is_set():
            if wake.wait(1.0):
                wake.clear()
                try:
                    wake_dispatch()
                except Exception:  # a busy store: the regular poll comes anyway
                    context.log.warning("could not wake the workers", exc_info=True)

    return forward


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8080,
    no_sync: Annotated[
        bool,
        typer.Option(
            "--no-sync",
            help="PostgreSQL only: no sync loop in this process; `leadbridge worker` "
            "processes do the sync.",
        ),
    ] = False,
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
    if no_sync and not settings.resolved_database_url.startswith("postgresql"):
        from leadbridge.errors import ConfigurationError

        raise ConfigurationError(
            "--no-sync needs PostgreSQL (LEADBRIDGE_DATABASE_URL): on SQLite `leadbridge "
            "serve` runs the sync itself, and workers cannot share the database"
        )
    app_hosts = _allowed_hosts(settings.allowed_hosts, host)
    spool = context.form_spool()
    form_posts = context.form_posts()  # PostgreSQL: posts kept, applied on a thread
    app = console_app(wake, spool, allowed_hosts=app_hosts, form_posts=form_posts, workers=no_sync)
    console.print(f"leadbridge is serving on http://{host}:{port}", highlight=False)
    if host not in LOOPBACK:
        console.print(
            f"It answers for the hosts {', '.join(app_hosts)} (set LEADBRIDGE_ALLOWED_HOSTS "
            "to the names people and websites use to reach it).",
            highlight=False,
        )
    background = [wake_workers(wake) if no_sync else background_task(wake=wake)]
    background.append(spool.drain_forever)
    if form_posts is not None and not no_sync:  # with --no-sync the workers apply them
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
