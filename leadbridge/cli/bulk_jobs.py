"""Rule runs and imports handed to `leadbridge worker` processes, seen from the command line:
whether to hand them over (`--workers`, or LEADBRIDGE_WORKERS), and their progress until
they are done (queued, running, done, with counts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from leadbridge.cli import context
from leadbridge.cli.output import errors
from leadbridge.errors import ConfigurationError

WorkersOption = Annotated[
    bool | None,
    typer.Option(
        "--workers/--in-process",
        help="PostgreSQL: queue the work for `leadbridge worker` processes, in slices, rather "
        "than doing it in this process (default: LEADBRIDGE_WORKERS, else in this process).",
        show_default=False,
    ),
]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="With --workers: follow the progress until the workers are done (else print "
        "the run's number and return).",
    ),
]
POLL_SECONDS = 1.0
FINISHED = frozenset({"done", "failed", "stopped", "interrupted"})


def use_workers(flag: bool | None) -> bool:
    """The flag, else the setting; ConfigurationError for workers on SQLite."""
    chosen = context.settings().workers if flag is None else flag
    if chosen and not context.settings().resolved_database_url.startswith("postgresql"):
        raise ConfigurationError(
            "--workers needs PostgreSQL (LEADBRIDGE_DATABASE_URL) and `leadbridge worker` "
            "processes; on SQLite the work is done in this process"
        )
    return chosen


def follow(
    label: str,
    read: Callable[[], dict[str, Any]],
    *,
    done_key: str,
    total_key: str,
    show: bool,
) -> dict[str, Any]:
    """Poll `read` until its status is finished, drawing a bar of done_key of total_key."""
    with Progress(
        TextColumn(label),
        TextColumn("{task.fields[status]}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=errors,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task(label, total=None, status="queued")
        while True:
            state = read()
            bar.update(
                task,
                completed=state.get(done_key) or 0,
                total=state.get(total_key) or None,
                status=state["status"],
            )
            if state["status"] in FINISHED:
                return state
            time.sleep(POLL_SECONDS)
