"""`leadbridge import FILE.csv`: the seed's manual upload of emails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from leadbridge.cli.output import errors, handle_errors, print_json
from leadbridge.cli.pull import intake_service, print_summary
from leadbridge.errors import InputError
from leadbridge.importing import MAX_BYTES
from leadbridge.sync.intake_report import SKIPPED


@handle_errors
def import_file(
    file: Annotated[Path, typer.Argument(help="A CSV with an 'email' column.", dir_okay=False)],
    undelete: Annotated[
        bool, typer.Option("--undelete", help="Restore matching prospects from the recycle bin.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Import prospects from a CSV: an 'email' column, and optional columns named after
    prospect fields (default or custom). Each row creates or updates a prospect and links it to
    the Salesforce contact (else lead) with that email, taking its values for the fields the
    file does not set. Bad rows are skipped with their line number and reason; a file with an
    unknown column, over 50 MB or over 1,000,000 rows is refused before anything is written.

    Example: leadbridge import webinar.csv --undelete
    """
    if not file.is_file():
        raise InputError("no such file", item=str(file))
    if file.stat().st_size > MAX_BYTES:
        raise InputError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", item="file")
    data = file.read_bytes()
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

        summary = intake_service().import_csv(data, undelete=undelete, progress=advance)
    if json_output:
        print_json(summary.as_dict())
    else:
        print_summary(summary)
    if summary.outcomes and all(o.status == SKIPPED for o in summary.outcomes):
        raise typer.Exit(2)
