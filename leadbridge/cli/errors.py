"""`leadbridge errors …`: sync errors to fix, retry, export and count."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import console, handle_errors, print_json
from leadbridge.domain.error_kind import ErrorKind
from leadbridge.errors import InputError

if TYPE_CHECKING:
    from leadbridge.diagnostics import ErrorView, RetryReport, SyncErrorService

app = typer.Typer(help="Sync errors: what Salesforce refused, and retrying once fixed.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
KindOption = Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(ErrorKind)}.")]


def _service() -> SyncErrorService:
    from leadbridge.diagnostics import SyncErrorService

    return SyncErrorService(context.database(), context.clock())


def _kind(kind: str | None) -> ErrorKind | None:
    from leadbridge.diagnostics import parse_kind

    return None if kind is None else parse_kind(kind)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _record(view: ErrorView) -> str:
    return " ".join(part for part in (view.crm_object, view.crm_id) if part) or "-"


def _message(view: ErrorView) -> str:
    fields = f" [{', '.join(view.fields)}]" if view.fields else ""
    return view.message + fields


@app.command("list")
@handle_errors
def list_errors(
    kind: KindOption = None,
    limit: Annotated[int, typer.Option(help="How many errors at most (1-1000).")] = 50,
    json_output: JsonOption = False,
) -> None:
    """List open sync errors, most recently seen first.

    Example: leadbridge errors list --kind data --limit 20
    """
    views = _service().list_open(kind=_kind(kind), limit=limit)
    if json_output:
        print_json([view.to_json() for view in views])
        return
    if not views:
        console.print("No open sync errors.")
        return
    for view in views:
        _print_summary(view)


def _print_summary(view: ErrorView) -> None:
    """Three short lines per error: readable at any terminal width."""
    record = f"  on {_record(view)}" if view.crm_object or view.crm_id else ""
    console.print(
        f"[bold]{view.id}[/bold]  {escape(view.prospect_email or '(no prospect)')}  "
        f"{view.kind}  {view.error_code}{record}",
        highlight=False,
    )
    console.print(f"    {escape(_message(view))}", highlight=False)
    console.print(
        f"    {view.attempts} attempt(s), first seen {_when(view.first_seen_at)}, last seen "
        f"{_when(view.last_seen_at)}, {view.status}",
        highlight=False,
    )


@app.command()
@handle_errors
def show(
    error_id: Annotated[int, typer.Argument(help="The error's id (see errors list).")],
    json_output: JsonOption = False,
) -> None:
    """Show one sync error in full, with what usually fixes it.

    Example: leadbridge errors show 12
    """
    view = _service().show(error_id)
    if json_output:
        print_json(view.to_json())
        return
    console.print(f"[bold]Sync error {view.id}[/bold] ({view.status})")
    for label, value in (
        ("prospect", f"{view.prospect_email} (id {view.prospect_id})" if view.prospect_id else "-"),
        ("salesforce", _record(view)),
        ("kind", str(view.kind)),
        ("code", view.error_code),
        ("message", view.message),
        ("fields", ", ".join(view.fields) or "-"),
        ("attempts", str(view.attempts)),
        ("first seen", _when(view.first_seen_at)),
        ("last seen", _when(view.last_seen_at)),
        ("next attempt", _when(view.next_attempt_at)),
        ("resolved", _when(view.resolved_at)),
        ("what to do", view.advice),
    ):
        console.print(f"  {label:13} {escape(value)}", highlight=False)
    if view.status == "open":
        console.print(f"  Once fixed: leadbridge errors retry {view.id}", highlight=False)


@app.command()
@handle_errors
def retry(
    error_id: Annotated[int | None, typer.Argument(help="The error's id.")] = None,
    all_errors: Annotated[bool, typer.Option("--all", help="Retry every open error.")] = False,
    kind: Annotated[
        str | None,
        typer.Option(help=f"Retry the open errors of this kind: {', '.join(ErrorKind)}."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Try syncing again the prospects of one, all, or one kind of open errors.

    A retried error stays open until its prospect's next push succeeds.
    Example: leadbridge errors retry 12 (or --all, or --kind data)
    """
    chosen = [given for given in (error_id is not None, all_errors, kind is not None) if given]
    if len(chosen) != 1:
        raise InputError("give one of: an error ID, --all, or --kind KIND", item="errors retry")
    service = _service()
    if error_id is not None:
        report = service.retry(error_id)
    else:
        report = service.retry_all(kind=_kind(kind))
    if json_output:
        print_json(_report_json(report))
        return
    _print_report(report)


def _report_json(report: RetryReport) -> dict[str, object]:
    return {
        "queued": list(report.queued),
        "pushes_added": report.pushes_added,
        "skipped": [{"error_id": s.error_id, "reason": s.reason} for s in report.skipped],
    }


def _print_report(report: RetryReport) -> None:
    if not report.queued and not report.skipped:
        console.print("No open sync errors to retry.")
        return
    if report.queued:
        ids = ", ".join(str(error_id) for error_id in report.queued)
        console.print(
            f"Retry queued for {len(report.queued)} error(s): {ids}. They stay open until the "
            "next push of their prospect succeeds (at the next sync, or now with leadbridge "
            "sync once).",
            highlight=False,
        )
    for skipped in report.skipped:
        console.print(
            f"[yellow]Skipped error {skipped.error_id}:[/yellow] {escape(skipped.reason)}.",
            highlight=False,
        )


@app.command()
@handle_errors
def export(
    file: Annotated[Path, typer.Argument(help="The CSV file to write.", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write every open sync error to a CSV file (one row each, with a header).

    Example: leadbridge errors export sync-errors.csv
    """
    count = _service().export(file, force=force)
    console.print(f"Wrote {count} open sync error(s) to {escape(str(file))}.", highlight=False)


@app.command()
@handle_errors
def counts(json_output: JsonOption = False) -> None:
    """Count open sync errors by kind and by error code.

    Example: leadbridge errors counts
    """
    found = _service().counts()
    if json_output:
        print_json(found.to_json())
        return
    console.print(f"{found.total} open sync error(s).")
    for title, counted in (("By kind", found.by_kind), ("By code", found.by_code)):
        if counted:
            console.print(f"[bold]{title}[/bold]")
            for name, count in counted.items():
                console.print(escape(f"  {name:40} {count}"), highlight=False)
