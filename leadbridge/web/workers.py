"""With `serve --no-sync` (PostgreSQL, `leadbridge worker` processes beside it), the
console hands long work to the workers: "Run now" of a rule (automation/rule_runs.py) and an
import (importing/jobs.py, which reaches Salesforce: the server installs it here, as it does
the gateway). Without them both run in the server's process, as on SQLite."""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI, Request


class ImportQueue(Protocol):
    def __call__(
        self, data: bytes, *, user_id: int | None, actor: str, filename: str, undelete: bool
    ) -> int:
        """Keep the file and queue its chunks for the workers: the import run's id."""
        ...


def install_workers(app: FastAPI, import_queue: ImportQueue) -> None:
    app.state.leadbridge_workers = import_queue


def workers(request: Request) -> ImportQueue | None:
    """The workers' import queue when the work goes to workers, else None."""
    found: ImportQueue | None = getattr(request.app.state, "leadbridge_workers", None)
    return found
