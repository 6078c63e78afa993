"""`leadbridge import FILE.csv`: the seed's manual upload of emails."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from leadbridge.cli import context
from leadbridge.cli.bulk_jobs import WaitOption, WorkersOption, follow, use_workers
from leadbridge.cli.output import console, errors, handle_errors, print_json
from leadbridge.cli.pull import intake_service, print_summary
from leadbridge.errors import InputError

if TYPE_CHECKING:
    from leadbridge.importing import ImportSummary

STOPPED_EXIT = 7  # the import stopped midway; the report says where and why
INTERRUPTED_EXIT = 130  # Ctrl-C, as shells report it


@handle_errors
def import_file(
    file: Annotated[Path, typer.Argument(help="A CSV with an 'email' column.", dir_okay=False)],
    undelete: Annotated[
        bool, typer.Option("--undelete", help="Restore matching prospects from the recycle bin.")
    ] = False,
    workers: WorkersOption = None,
    wait: WaitOption = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Import prospects from a CSV: an 'email' column, and optional columns named after
    prospect fields (default or custom). Each row creates or updates a prospect and links it to
    the Salesforce contact (else lead) with that email, taking its values for the fields the
    file does not set. Bad rows are skipped with their line number and reason; a file with an
    unknown column, over 50 MB or over 1,000,000 rows is refused before anything is written.

    Rows are written in batches of 1,000. If the import stops midway (Salesforce down, the API
    allowance spent, an error, Ctrl-C), the report still lists every row: written, skipped, or
    not written, with the line and cause where it stopped; the exit code is 7 (130 after
    Ctrl-C). Import the same file again to finish: rows already written are recognised and
    left as they are.

    With --workers (PostgreSQL), the file is kept in the database and imported by
    `leadbridge worker` processes, a job per 1,000 rows; this command follows it until it is
    done and prints the same report (--no-wait: it prints the import's number; the console's
    Import page shows its progress and report).

    Example: leadbridge import webinar.csv --undelete
    """
    from leadbridge.importing import MAX_BYTES
    from leadbridge.importing.report import INTERRUPTED
    from leadbridge.sync.intake import SKIPPED

    if not file.is_file():
        raise InputError("no such file", item=str(file))
    if file.stat().st_size > MAX_BYTES:
        raise InputError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", item="file")
    data = file.read_bytes()
    if use_workers(workers):
        summary = _import_by_workers(file.name, data, undelete, wait=wait, json_output=json_output)
        if summary is None:
            return
    else:
        summary = _import_here(data, undelete, json_output)
    if json_output:
        print_json(summary.as_dict())
    else:
        _print(summary)
    if summary.stopped is not None:
        raise typer.Exit(INTERRUPTED_EXIT if summary.stopped.code == INTERRUPTED else STOPPED_EXIT)
    if summary.outcomes and all(o.status == SKIPPED for o in summary.outcomes):
        raise typer.Exit(2)


def _import_here(data: bytes, undelete: bool, json_output: bool) -> ImportSummary:
    with Progress(
        TextColumn("Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=errors,
        transient=True,
        disable=json_output,
    ) as bar:
        task = bar.add_task("import", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return intake_service().import_csv(data, undelete=undelete, progress=advance)


def _import_by_workers(
    name: str, data: bytes, undelete: bool, *, wait: bool, json_output: bool
) -> ImportSummary | None:
    """Queue the import for the workers; once they are done (with `wait`), its report as an
    import in this process gives it (None without `wait`)."""
    from leadbridge.importing.jobs import enqueue_import, summary_of

    db, clock = context.database(), context.clock()
    run = enqueue_import(
        db, clock, data, user_id=None, actor="leadbridge import", filename=name, undelete=undelete
    )
    if not wait:
        if json_output:
            print_json({"import": run.id, "status": run.status, "rows": run.total_rows})
        else:
            console.print(
                f"Import {run.id} queued: {run.total_rows} rows for the workers.", highlight=False
            )
        return None
    follow(
        "Importing",
        lambda: _state(run.id),
        done_key="rows_done",
        total_key="total_rows",
        show=not json_output,
    )
    return summary_of(db, clock, run.id)


def _state(run_id: int) -> dict[str, object]:
    from leadbridge.store.import_runs import ImportRunRepository

    with context.database().session(readonly=True) as session:
        run = ImportRunRepository(session, context.clock()).get(run_id)
    return {"status": run.status, "rows_done": run.rows_done, "total_rows": run.total_rows}


def _print(summary: ImportSummary) -> None:
    """Every row written or skipped; the rows not written as one line of line numbers."""
    from leadbridge.importing import NOT_WRITTEN
    from leadbridge.sync.intake import IntakeSummary

    reached = [o for o in summary.outcomes if o.status != NOT_WRITTEN]
    print_summary(IntakeSummary(reached, summary.crm_calls))
    stop = summary.stopped
    if stop is None:
        return
    lines = [o.line for o in summary.outcomes if o.status == NOT_WRITTEN and o.line is not None]
    span = f" (lines {lines[0]} to {lines[-1]})" if lines else ""
    console.print(
        f"[red]Stopped at line {stop.line}:[/red] {escape(stop.cause)}\n"
        f"{summary.written} rows written, {len(lines)} not written{span}. Import the same "
        "file again to finish: rows already written are recognised and left as they are.",
        highlight=False,
    )
