"""`leadbridge worker`: run the sync's jobs from PostgreSQL (see leadbridge/workers)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Annotated

import typer

from leadbridge.cli import context
from leadbridge.cli.output import console, handle_errors


@handle_errors
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=32, help="Jobs this process runs at once.")
    ] = 2,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these queues (sync, push, forms, bulk); repeat it for several. Default: all."
        ),
    ] = None,
    until_idle: Annotated[
        bool, typer.Option(help="Stop once no job is waiting (for tests and one-off runs).")
    ] = False,
) -> None:
    """Run sync jobs (pull, intake, push, mirrors) on a PostgreSQL database, beside
    `leadbridge serve --no-sync` and other workers, on this machine or others. It schedules
    the polls itself, at the connector's poll interval. Stop it with Ctrl-C (the jobs in
    flight finish).

    Example: leadbridge worker --concurrency 4   (LEADBRIDGE_DATABASE_URL set to PostgreSQL)
    """
    from leadbridge.workers import jobs
    from leadbridge.workers.app import build_app

    url = context.settings().resolved_database_url
    app = build_app(url)  # ConfigurationError on SQLite, before anything starts
    context.database()  # migrated: procrastinate's schema comes with migration 0013
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    name = f"{socket.gethostname()}:{os.getpid()}"
    console.print(
        f"leadbridge worker {name}: {concurrency} at once, queues "
        f"{', '.join(queue) if queue else 'all'}",
        highlight=False,
    )
    stop = threading.Event()
    if not until_idle and context.settings().change_stream:
        jobs.change_stream(stop)  # Change Data Capture, when the org publishes Lead/Contact
    try:
        app.run_worker(
            queues=queue or None,
            concurrency=concurrency,
            wait=not until_idle,
            name=name,
            delete_jobs="successful",  # a dispatch every 5 s: keep only what needs a look
        )
    finally:
        stop.set()
        jobs.close()
