"""An import as a background job: the upload is recorded as an import run, then imported
(through the gateway, which reaches Salesforce) after the response, with its progress and
report written to the run as it goes. The run's page polls it."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from leadbridge.api.state import Services
from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.import_runs import ImportRunRepository
from leadbridge.web.gateway import ConsoleGateway

log = logging.getLogger("leadbridge.web.imports")


def check_upload(data: bytes) -> str | None:
    """What makes this file impossible to import, in plain words (the import itself checks
    the columns against the prospect fields)."""
    if not data.strip():
        return "The file is empty: choose a CSV file with an 'email' column."
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
    first = next(csv.reader(io.StringIO(text[:65536], newline="")), [])
    if "email" not in [name.strip().lower() for name in first]:
        return "The file's first line must name its columns, one of them 'email'."
    return None


def run_import(
    db: Database, clock: Clock, gateway: ConsoleGateway, run_id: int, data: bytes, undelete: bool
) -> None:
    """Import the file into run `run_id`; whatever happens, the run ends finished."""

    def progress(done: int, total: int) -> None:
        with db.session() as session:
            ImportRunRepository(session, clock).progress(run_id, done, total)

    with db.session() as session:
        ImportRunRepository(session, clock).progress(run_id, 0, None)
    try:
        report: dict[str, Any] = gateway.import_csv(data, undelete=undelete, progress=progress)
    except LeadbridgeError as error:
        _fail(db, clock, run_id, _reason(error))
    except Exception:
        log.exception("import %d failed", run_id)
        _fail(db, clock, run_id, "An unexpected error stopped the import; it is in the log.")
    else:
        with db.session() as session:
            ImportRunRepository(session, clock).finish(run_id, report)


def interrupt_unfinished(found: Services) -> int:
    """Mark the runs a stopped server left unfinished as interrupted; how many."""
    with found.database.session() as session:
        count = ImportRunRepository(session, found.clock).interrupt_unfinished()
    if count:
        log.warning("%d import(s) were cut short by a restart: marked interrupted", count)
    return count


def _reason(error: LeadbridgeError) -> str:
    text = str(error)
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else "Failed."


def _fail(db: Database, clock: Clock, run_id: int, reason: str) -> None:
    with db.session() as session:
        ImportRunRepository(session, clock).fail(run_id, reason)
