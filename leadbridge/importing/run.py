"""Applying an import: rows in batches; per batch one email lookup over contacts and one over
unconverted leads (the client packs hundreds of emails per call), then one transaction with a
savepoint per row, so a row that fails is undone alone and the others go on. A batch is read,
checked and looked up in a second thread while the batch before it is written (the file's
parsing, Salesforce's latency and the database's work overlap); when its lookups fail, the
batch before is still written, and the import stops at the batch whose lookups failed.

A batch is written whole or not at all. When something stops the import midway (Salesforce
down, the API allowance spent, an unexpected error, Ctrl-C), the batches before stay written
and the report still covers every row: what was written, what was not and why, and where it
stopped. Running the same file again is safe: rows already written come out "unchanged" (no
new prospect, no audit entry), and the rest are written."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key
from leadbridge.domain.fields import Origin
from leadbridge.domain.matching import CONTACT, LEAD, match
from leadbridge.errors import LeadbridgeError
from leadbridge.importing.csv_file import CsvRow, header, read_csv, rows_after
from leadbridge.importing.report import NOT_WRITTEN, ImportSummary, Stop, log
from leadbridge.ports import Clock, CrmClient, CrmRecord
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.sync.config import PushConfig, load_config
from leadbridge.sync.intake import (
    ERROR,
    SKIPPED,
    AfterChange,
    Intake,
    IntakeOutcome,
    IntakeSummary,
    Known,
    NewProspect,
    Source,
    read_fields,
)

BATCH = 5000  # rows a transaction writes (fewer, larger statements: 4,300 → 4,850 rows/s)
Progress = Callable[[int, int], None]  # (rows done, rows in the file)
BeforeCommit = Callable[[Session, list[IntakeOutcome]], None]


def import_csv(
    db: Database,
    crm: CrmClient,
    clock: Clock,
    data: bytes,
    *,
    undelete: bool = False,
    progress: Progress | None = None,
    after_change: AfterChange | None = None,
    batch_size: int | None = None,
) -> ImportSummary:
    """Import the file; InputError (before any write) for a file that cannot be imported.

    Whatever stops it midway, the report comes back with `stopped` set (a KeyboardInterrupt
    included: the caller decides what to do once the report is shown)."""
    with db.session(readonly=True) as session:
        catalog = FieldCatalog.load(session)
        config = load_config(session)
    _, total = header(data, catalog)
    summary = ImportSummary()
    done, last, pending = 0, 1, list[CsvRow]()  # last: the last line of a written batch
    batches = _batches(read_csv(data, catalog), batch_size or BATCH)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-ahead") as pool:
            ahead = pool.submit(_read_ahead, batches, crm, config, summary)
            while (item := ahead.result()) is not None:
                batch, matches = item
                pending = batch
                if isinstance(matches, BaseException):  # this batch's lookups failed
                    raise matches
                ahead = pool.submit(_read_ahead, batches, crm, config, summary)
                summary.outcomes.extend(
                    _import_batch(db, clock, config, batch, matches, undelete, after_change)
                )
                pending, last, done = [], batch[-1].line, done + len(batch)
                if progress is not None:
                    progress(done, total)
    except (Exception, KeyboardInterrupt) as error:
        _stop(summary, data, pending, last, error)
    return summary


def _read_ahead(
    batches: Iterator[list[CsvRow]], crm: CrmClient, config: PushConfig, summary: IntakeSummary
) -> tuple[list[CsvRow], dict[str, Source] | Exception] | None:
    """The next batch, read and checked, with its Salesforce lookups (or why they failed),
    made while the batch before it is written: the file and the client are used by this one
    thread at a time. None when the file is done."""
    rows = next(batches, None)
    if rows is None:
        return None
    try:
        return rows, _lookup(crm, config, _emails(rows), summary)
    except Exception as error:
        return rows, error


def _emails(rows: Sequence[CsvRow]) -> list[str]:
    return [row.email for row in rows if row.problem is None and row.email]


def _stop(
    summary: ImportSummary,
    data: bytes,
    pending: Sequence[CsvRow],
    last: int,
    error: BaseException,
) -> None:
    """Report the rows of the batch that failed (`pending`) and every later row as not
    written; nothing left unwritten (Ctrl-C after the last batch) means the import is done."""
    rest = list(rows_after(data, pending[-1].line if pending else last))
    first = pending[0].line if pending else (rest[0][0] if rest else None)
    if first is None:
        return
    stop = summary.stopped = Stop.of(first, error)
    log.warning("import stopped at line %d: %s", stop.line, stop.cause)
    reason = f"the import stopped at line {stop.line} before writing this row: {stop.cause}"
    for row in pending:
        if row.problem is not None or row.email is None:
            summary.add(
                IntakeOutcome(
                    f"line {row.line}", SKIPPED, row.email, reason=row.problem, line=row.line
                )
            )
        else:
            summary.add(_not_written(row.line, row.email, reason))
    for line, email in rest:
        summary.add(_not_written(line, email, reason))


def _not_written(line: int, email: str | None, reason: str) -> IntakeOutcome:
    return IntakeOutcome(f"line {line}", NOT_WRITTEN, email, reason=reason, line=line)


def _batches(rows: Iterable[CsvRow], size: int) -> Iterator[list[CsvRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _import_batch(
    db: Database,
    clock: Clock,
    config: PushConfig,
    rows: Sequence[CsvRow],
    matches: dict[str, Source],
    undelete: bool,
    after_change: AfterChange | None,
    before_commit: BeforeCommit | None = None,
) -> list[IntakeOutcome]:
    """The batch's outcomes, once its transaction is committed (nothing is reported as written
    before it is); `matches`: its lookups' result. `before_commit` is called last in that
    transaction, with the outcomes (a worker's chunk records them and that it is done:
    importing/jobs.py)."""
    with db.session() as session:
        intake = Intake(session, clock, config)
        known = intake.known(_emails(rows))
        outcomes = [
            IntakeOutcome(f"line {row.line}", ERROR, row.email, line=row.line) for row in rows
        ]
        created, new = _create_new(intake, known, rows, outcomes, matches)
        for row, outcome in zip(rows, outcomes, strict=True):
            if row.line in created:
                continue
            if row.problem is not None or row.email is None:
                outcome.status, outcome.reason = SKIPPED, row.problem
                continue
            _import_row(intake, known, outcome, row, matches.get(email_key(row.email)), undelete)
        touched = [o.prospect_id for o in outcomes if o.prospect_id is not None]
        if after_change is not None and touched:
            after_change(session, touched, Origin.IMPORT, fresh=_untouched(new, touched))
        if before_commit is not None:
            before_commit(session, outcomes)
    return outcomes


def _untouched(new: Sequence[Prospect], touched: Sequence[int]) -> list[Prospect]:
    """The snapshots of the prospects created in bulk that no later row of the batch changed:
    still current (a later row with the same email updated the row after its snapshot)."""
    times = Counter(touched)
    return [prospect for prospect in new if times[prospect.id] == 1]


def _create_new(
    intake: Intake,
    known: Known,
    rows: Sequence[CsvRow],
    outcomes: Sequence[IntakeOutcome],
    matches: dict[str, Source],
) -> tuple[set[int], list[Prospect]]:
    """Create, in bulk, the prospects of the rows that `_import_row` would create: a new
    email (the first row with it in the batch), values the fields accept; linked to the
    Salesforce record found, with its values and its owner, as `Intake.take` does. Their
    outcomes are filled in; the lines done and the prospects' snapshots.

    They are written before the batch's other rows, so a later row with the same email updates
    the prospect just created, as one by one."""
    seen: set[str] = set()
    chosen: list[tuple[CsvRow, NewProspect]] = []
    for row, outcome in zip(rows, outcomes, strict=True):
        if row.problem is not None or row.email is None:
            continue
        key = email_key(row.email)
        if key in seen or key in known.live or key in known.recycled:
            seen.add(key)  # one by one (an update, a restore, a row refused)
            continue
        seen.add(key)
        source = matches.get(key)
        try:
            values, taken = intake.new_values(source, row.email, row.values, Origin.IMPORT)
        except LeadbridgeError:
            continue  # `_import_row` reports the reason
        if values.get("marketing_campaign") is not None:
            continue  # a campaign that may not exist: `_import_row` checks it for this row
        chosen.append((row, NewProspect(outcome, source, values, taken)))
    prospects = intake.create_many([item for _, item in chosen], origin=Origin.IMPORT)
    for prospect in prospects:
        known.remember(prospect)
    return {row.line for row, _ in chosen}, prospects


def _import_row(
    intake: Intake,
    known: Known,
    outcome: IntakeOutcome,
    row: CsvRow,
    source: Source | None,
    undelete: bool,
) -> None:
    assert row.email is not None
    key = email_key(row.email)
    existing = known.live.get(key)
    if existing is None and key in known.recycled:
        if not undelete:
            outcome.status = SKIPPED
            outcome.reason = (
                "the prospect is in the recycle bin (import with undelete to restore it)"
            )
            outcome.prospect_id = known.recycled[key].id
            return
        existing = known.recycled[key]
    savepoint = intake.session.begin_nested()
    try:
        prospect = intake.take(
            outcome, source, existing, email=row.email, given=row.values, origin=Origin.IMPORT
        )
    except LeadbridgeError as error:
        savepoint.rollback()
        outcome.status, outcome.reason, outcome.prospect_id = SKIPPED, str(error), None
        outcome.warnings.clear()
        return
    savepoint.commit()
    known.remember(prospect)


def _lookup(
    crm: CrmClient, config: PushConfig, emails: Sequence[str], summary: IntakeSummary
) -> dict[str, Source]:
    """The record each email links to: a contact first, else an unconverted lead."""
    if not emails:
        return {}
    contacts = _by_email(crm, config, CONTACT, emails, None, summary)
    rest = [email for email in emails if email_key(email) not in contacts]
    leads = _by_email(crm, config, LEAD, rest, "IsConverted = false", summary) if rest else {}
    found: dict[str, Source] = {}
    for key in {email_key(email) for email in emails}:
        chosen = match(contacts.get(key, []), leads.get(key, []))
        if chosen.record is not None:
            found[key] = Source(chosen.object_name, chosen.record)
    return found


def _by_email(
    crm: CrmClient,
    config: PushConfig,
    object_name: str,
    emails: Sequence[str],
    where: str | None,
    summary: IntakeSummary,
) -> dict[str, list[CrmRecord]]:
    summary.crm_calls += 1
    fields = read_fields(config, object_name)
    grouped: dict[str, list[CrmRecord]] = defaultdict(list)
    for record in crm.find_by_emails(object_name, list(dict.fromkeys(emails)), fields, where=where):
        if record.get("Email"):
            grouped[email_key(str(record["Email"]))].append(record)
    return grouped
