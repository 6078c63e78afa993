"""Sync processes: forked children of the soak process that run `leadbridge sync once` (the
operator's own command, in-process) a few times, and may kill themselves with SIGKILL right
after a Salesforce write returned, before leadbridge recorded it."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial
from pathlib import Path
from types import TracebackType
from typing import Any

import typer.main

from leadbridge.cli import context
from leadbridge.cli.main import app
from leadbridge.cli.sync import LEASE_HELD_EXIT
from leadbridge.salesforce import RetryPolicy, SalesforceClient
from leadbridge.store import Database
from leadbridge.sync.runner import SyncLease

SOAK_RETRY = RetryPolicy(attempts=4, base=0.05, max=0.8)
SOAK_LEASE_TTL = timedelta(seconds=4)


@cache
def sync_command() -> Any:
    """The `leadbridge` command, built once in the soak process so forked children do not
    import and assemble the CLI each time."""
    return typer.main.get_command(app)


WRITES = ("create", "update", "upsert", "delete", "bulk_create", "bulk_update", "bulk_upsert")


class KillAfterWrite:
    """A CRM client that SIGKILLs its own process once its `after`-th write call returned:
    Salesforce applied the write, leadbridge has not recorded it."""

    def __init__(self, inner: Any, after: int) -> None:
        self._inner = inner
        self._left = after

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in WRITES:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            self._left -= 1
            if self._left <= 0:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return write

    def __enter__(self) -> KillAfterWrite:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._inner.close()


def _child(home: Path, cycles: int, kill_after_writes: int | None, wait: bool) -> int:
    os.environ["LEADBRIDGE_HOME"] = str(home)
    os.environ.pop("LEADBRIDGE_DATABASE_URL", None)
    context.reset()

    def soak_client(credentials: Any, settings: Any) -> Any:
        # leadbridge's own client and settings; only the retry waits are ten times shorter,
        # so a run is not spent sleeping through backoffs (the faults and retries are real).
        client = SalesforceClient(
            credentials,
            budget_percent=settings.api_budget_percent,
            bulk_threshold=settings.bulk_threshold,
            retry=SOAK_RETRY,
        )
        if kill_after_writes is None:
            return client
        return KillAfterWrite(client, kill_after_writes)

    context.make_client = soak_client
    # A killed runner's lease expires after SOAK_LEASE_TTL instead of 60 s, so a run is not
    # spent waiting on it; still far longer than any request the sandbox keeps in flight.
    context.SyncLease = partial(SyncLease, ttl=SOAK_LEASE_TTL)  # type: ignore[attr-defined,assignment]
    arguments = ["sync", "once", "--wait", "--timeout", "60"] if wait else ["sync", "once"]
    command = sync_command()
    failures = 0
    for _ in range(cycles):
        print(f"--- pid {os.getpid()} sync once at {time.strftime('%H:%M:%S')}", flush=True)
        try:
            code = command.main(arguments, standalone_mode=False)
            if isinstance(code, int) and code == LEASE_HELD_EXIT:
                print("--- another sync holds the lease: nothing pushed", flush=True)
            elif isinstance(code, int) and code != 0:
                failures += 1
        except SystemExit as stop:
            failures += int(bool(stop.code))
        except Exception:  # the loop must never die; the log keeps what happened
            traceback.print_exc()
            failures += 1
        context.reset()
    return 0 if failures == 0 else 3


@dataclass
class Child:
    pid: int
    started: float
    kill_after_writes: int | None
    killed: bool = False  # by the soak (a random kill)


def spawn(
    home: Path,
    inherited: Database | None,
    log_file: Path,
    *,
    cycles: int,
    kill_after_writes: int | None = None,
    wait: bool = False,
) -> Child:
    """Fork a sync process. It drops the parent's database connections without closing them
    (they are the parent's) and builds its own database and HTTP session."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if inherited is not None:
                inherited.engine.dispose(close=False)
            log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            code = _child(home, cycles, kill_after_writes, wait)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return Child(pid, time.monotonic(), kill_after_writes)


@dataclass
class Fleet:
    """The sync processes of one run, and what happened to them."""

    home: Path
    log_file: Path
    running: list[Child] = field(default_factory=list)
    random_kills: int = 0
    write_kills: int = 0
    concurrent: int = 0  # spawns while another sync process was running
    failed: int = 0  # exited non-zero (a cycle or a step failed, for whatever reason)
    spawned: int = 0

    def __post_init__(self) -> None:
        sync_command()  # built before the first fork

    def spawn(
        self,
        inherited: Database | None,
        *,
        cycles: int,
        kill_after_writes: int | None,
        wait: bool = False,
    ) -> Child:
        self.reap()
        if self.running:
            self.concurrent += 1
        child = spawn(
            self.home,
            inherited,
            self.log_file,
            cycles=cycles,
            kill_after_writes=kill_after_writes,
            wait=wait,
        )
        self.running.append(child)
        self.spawned += 1
        return child

    def kill(self, child: Child) -> None:
        child.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)

    def reap(self, *, block: bool = False) -> None:
        still: list[Child] = []
        for child in self.running:
            pid, status = os.waitpid(child.pid, 0 if block else os.WNOHANG)
            if pid == 0:
                still.append(child)
                continue
            if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
                if child.killed:
                    self.random_kills += 1
                else:
                    self.write_kills += 1
            elif os.WEXITSTATUS(status) != 0:
                self.failed += 1
        self.running = still

    def wait_all(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for child in self.running:  # stuck: kill it (counted as a random kill)
            self.kill(child)
        self.reap(block=True)
