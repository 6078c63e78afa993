"""`leadbridge sync …`: one sync cycle (pull Salesforce's changes, then push), continuously,
or one prospect on demand."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from leadbridge.cli import context
from leadbridge.cli.cycle_report import RetryWait, calls_line, cycle_json, print_steps
from leadbridge.cli.output import console, errors, handle_errors, print_json

if TYPE_CHECKING:
    from leadbridge.sync import PushEngine, PushSummary
    from leadbridge.sync.cycle import CycleSummary
    from leadbridge.sync.pull import PullSummary
    from leadbridge.sync.push import Progress as ProgressCallback
    from leadbridge.sync.runner import LeaseHeldError, SyncLease

app = typer.Typer(help="Sync with Salesforce: push prospects once, keep running, or one now.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
PROGRESS_FROM = 1000  # show a progress bar for runs of at least this many prospects
LEASE_HELD_EXIT = 7  # another sync holds the lease: nothing was pushed
PROSPECT_WAIT_SECONDS = 60.0


def _engine(progress: ProgressCallback | None = None, lease: SyncLease | None = None) -> PushEngine:
    return context.push_engine(progress, lease)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and a first Ctrl-C set `stop`: the wave in flight completes, the rest stays
    queued, the lease is released. A second Ctrl-C interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        if not stop.is_set():
            errors.print("Stopping after the current wave (Ctrl-C again to interrupt).")
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _lease_held(error: LeaseHeldError) -> typer.Exit:
    errors.print(
        f"[yellow]Not syncing:[/yellow] {escape(str(error))}. Nothing was pushed; run again "
        "later, or with --wait to wait for it.",
        highlight=False,
    )
    return typer.Exit(LEASE_HELD_EXIT)


def _print_pull(summary: PullSummary) -> None:
    if summary.paused:
        return
    console.print(
        f"Pulled {summary.pulled} changed record(s): {summary.changed_fields} field(s) changed "
        f"on {summary.changed_prospects} prospect(s); relinked {summary.relinked}, deleted "
        f"{summary.deleted}, restored {summary.restored}, merged "
        f"{summary.merged + summary.prospects_merged}; {summary.api_calls} API call(s)."
    )
    if summary.warnings:
        console.print(
            f"[yellow]Pull warnings: {summary.warnings}[/yellow]; see `leadbridge errors list`."
        )
    if summary.stopped:
        console.print(f"[yellow]{escape(summary.stopped)}[/yellow]")


def _print_cycle(summary: CycleSummary, waiting: RetryWait) -> None:
    if summary.pull is not None:
        _print_pull(summary.pull)
    for name, error in summary.failures.items():
        errors.print(f"[red]{name} failed:[/red] {escape(str(error))}", highlight=False)
    print_steps(summary)
    if summary.push is not None:
        _print_summary(summary.push, calls=False)
    retry = waiting.sentence(context.clock().now())
    if retry:
        console.print(f"[yellow]{escape(retry)}[/yellow]", highlight=False)
    console.print(calls_line(summary), highlight=False)


def _retry_wait() -> RetryWait:
    """The pushes waiting out a retry backoff (see leadbridge.domain.push.retry_delay)."""
    from leadbridge.store.outbox import PUSH, OutboxRepository

    with context.database().session(readonly=True) as session:
        count, soonest = OutboxRepository(session, context.clock()).waiting_on_retry(PUSH)
    return RetryWait(count, soonest)


class _ProgressBar:
    """A Rich progress bar that appears only once a run turns out to be long."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        if self._bar is None:
            columns = (
                TextColumn("Pushing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            self._bar = Progress(*columns, console=console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("push", total=total)
        assert self._task is not None
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressCallback | None]:
    if not enabled:
        yield None
        return
    bar = _ProgressBar()
    try:
        yield bar
    finally:
        bar.close()


def _print_summary(summary: PushSummary, *, calls: bool = True) -> None:
    if summary.paused:
        console.print(
            "The connector is paused: nothing was pushed. `leadbridge connector resume` "
            "restarts automatic sync; `leadbridge sync prospect EMAIL` pushes one now."
        )
        return
    console.print(
        f"Pushed {summary.pushed}: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} already up to date; matched {summary.matched_contact} "
        f"contact(s) and {summary.matched_lead} lead(s)."
    )
    if summary.skipped:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(summary.skipped_by_reason.items()))
        console.print(f"Skipped {summary.skipped} ({reasons}).")
    if summary.error_count:
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(summary.errors.items()))
        console.print(
            f"[red]Errors: {summary.error_count}[/red] ({kinds}); see `leadbridge errors list`."
        )
    if summary.warnings:
        console.print(f"[yellow]Warnings: {summary.warnings}[/yellow] (duplicates in Salesforce).")
    if summary.campaign_members_added or summary.campaign_members_updated:
        console.print(
            f"Salesforce campaigns: {summary.campaign_members_added} member(s) added, "
            f"{summary.campaign_members_updated} status(es) updated."
        )
    if calls:
        console.print(f"API calls used: {summary.api_calls}.")
    if summary.stopped:
        console.print(f"[yellow]{escape(summary.stopped)}[/yellow]")


@app.command()
@handle_errors
def once(
    json_output: JsonOption = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for another running sync to finish first.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(help="With --wait: give up after this many seconds (default: never)."),
    ] = None,
) -> None:
    """Run one sync cycle now: pull Salesforce's changes on connected records, then push
    every prospect waiting for it, and print a summary (pulled, changed fields, relinked,
    deleted, restored, merged, warnings; new records brought in; pushed, created, updated,
    errors; the mirrors; prospects waiting to retry after a temporary error; API calls).

    With --json, `api_calls` counts the whole cycle (pull, intake, push and mirrors); each
    step's own count is in its section (the push's in `push_api_calls`).

    Only one sync runs at a time (a lease in the database): when another one is running
    (`serve`, `sync run`, another `sync once`), this says which (host, pid, since when) and
    exits with code 7 without pushing anything, or waits for it with --wait.

    Example: leadbridge sync once --json
    """
    from leadbridge.sync.runner import LeaseHeldError

    stop = threading.Event()
    with _progress_bar(not json_output) as progress:
        runner = context.SyncRunner(
            stop=stop, wait=(timeout if wait else 0), progress=lambda: progress
        )
        try:
            with stop_on_signals(stop):
                summary = runner.run_once()
        except LeaseHeldError as error:
            raise _lease_held(error) from None
        finally:
            runner.close()
    waiting = _retry_wait()
    if json_output:
        print_json(cycle_json(summary, waiting))
    else:
        _print_cycle(summary, waiting)


@app.command()
@handle_errors
def run(
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between cycles (default: the connector's poll interval)."),
    ] = None,
    cycles: Annotated[int, typer.Option(help="Stop after this many cycles (0: never).")] = 0,
) -> None:
    """Keep syncing (pull, then push) at the connector's poll interval (5..3600 s) until
    Ctrl+C. While the connector is paused only manual syncs
    (`leadbridge sync prospect`) push anything.

    Example: leadbridge sync run --interval 30
    """
    from leadbridge.sync.loop import Backoff, sync_loop

    stop = threading.Event()
    runner = context.SyncRunner(stop=stop, progress=_ProgressBar)
    runner.start_stream()

    def report(summary: CycleSummary) -> None:
        push, pull = summary.push, summary.pull
        if summary.paused:
            console.print("Paused: waiting for `leadbridge connector resume`.")
            return
        if pull is not None and (pull.pulled or pull.warnings or pull.stopped):
            _print_pull(pull)
        if push is not None and (push.considered or push.error_count or push.stopped):
            _print_summary(push)

    def failed(error: Exception) -> None:
        errors.print(f"[red]Sync cycle failed:[/red] {escape(str(error))}", highlight=False)

    def skipped(error: LeaseHeldError) -> None:
        console.print(f"Skipping this cycle: {escape(str(error))}.")

    try:
        with stop_on_signals(stop):
            sync_loop(
                runner.run_once,
                stop,
                interval=runner.poll_interval if interval is None else interval,
                on_cycle=report,
                on_error=failed,
                on_skip=skipped,
                cycles=cycles,
                backoff=Backoff(),
            )
    except KeyboardInterrupt:
        pass
    finally:
        runner.close()
    if stop.is_set():
        console.print("Stopped.")


@app.command()
@handle_errors
def prospect(
    key: Annotated[str, typer.Argument(help="The prospect's email (or id).")],
    json_output: JsonOption = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a sync that is running (0: don't).")
    ] = PROSPECT_WAIT_SECONDS,
) -> None:
    """Sync one prospect with Salesforce now ("sync with CRM"); works while paused. It
    waits (up to --timeout) for a sync that is running, as only one may push at a time.

    Example: leadbridge sync prospect ada@example.com
    """
    from leadbridge.sync.manual import sync_prospect
    from leadbridge.sync.runner import LeaseHeldError, SyncLease

    lease = SyncLease(context.database(), context.clock())
    try:
        with lease.held(wait=timeout):
            result = sync_prospect(_engine(lease=lease), context.database(), context.clock(), key)
    except LeaseHeldError as error:
        raise _lease_held(error) from None
    if json_output:
        print_json(result.as_dict())
        return
    if result.in_sync:
        console.print(
            f"{result.email} is in sync with Salesforce {str(result.crm_object).lower()} "
            f"{result.crm_id}."
        )
    for blocker in result.blockers:
        console.print(f"Not pushed: {escape(blocker)}")
    for open_error in result.errors:
        console.print(f"[red]{escape(open_error['code'])}[/red]: {escape(open_error['message'])}")
    console.print(f"API calls used: {result.summary.api_calls}.")
