"""`SalesforceClient`: leadbridge's `CrmClient` over simple-salesforce, batch-first.

Call budget per operation (each "call" is one API request against the org's allowance):

| operation            | calls                                                               |
|----------------------|---------------------------------------------------------------------|
| find_by_emails       | one composite request per 5 IN-list statements (+ query_more pages) |
| retrieve             | one per 2,000 ids (POST composite/sobjects/{Type})                   |
| create/update/upsert | one per 200 records (composite/sobjects, allOrNone false)            |
| bulk_*               | create + upload + close + polls + 3 result reads, per job            |
| query/changed        | one per page of up to 2,000 records                                  |

An upsert that repeats a key sends it in rounds (Salesforce fails every record of one call
whose key repeats), one more round of calls per repeat. GET queries stay under Salesforce's
16 KB request URI limit (`soql.check_query_uri`).

Writes never raise CrmError for a failed request: when a chunk fails as a whole (after
retries), its records and every later record carry that error in their SaveResult and no
further chunk is sent, so the results still say exactly which records were saved. A
CrmLimitError in a SaveResult means: stop syncing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

from simple_salesforce.api import Salesforce

from leadbridge.domain.emails import email_key
from leadbridge.errors import CrmError, CrmLimitError, CrmTransientError
from leadbridge.ports import (
    ApiUsageReport,
    ChangeStream,
    CrmClient,
    CrmObject,
    CrmQueue,
    CrmRecord,
    CrmUser,
    DeletedRecord,
    DeletedWindow,
    FieldChange,
    SaveResult,
)

from . import soql
from .bulk import BulkIngest, Operation
from .connection import Connection, json_result
from .credentials import CrmCredentials
from .errors import from_body, make_error
from .records import (
    chunks,
    clean_record,
    crm_object,
    custom_object_names,
    failed,
    parse_datetime,
    save_results,
    sobject,
)
from .retry import RetryPolicy
from .soql import check_query_uri
from .usage import CallKind, UsageMeter

log = logging.getLogger("leadbridge.salesforce")

WRITE_BATCH = 200  # records per composite/sobjects call
RETRIEVE_BATCH = 2_000  # ids per composite/sobjects/{Type} retrieve
QUERIES_PER_COMPOSITE = 5  # Salesforce allows 5 query subrequests per composite request
DEFAULT_BULK_THRESHOLD = 10_000
AUTO_ASSIGN = "Sforce-Auto-Assign"  # the REST header that runs lead assignment rules
NO_RULE = {AUTO_ASSIGN: "FALSE"}  # REST runs the active rule unless told not to


class SalesforceClient:
    """A Salesforce org, through simple-salesforce. One per thread; not thread-safe."""

    def __init__(
        self,
        credentials: CrmCredentials,
        *,
        api_version: str = "59.0",
        budget_percent: float = 50,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30,
        bulk_threshold: int | None = DEFAULT_BULK_THRESHOLD,
        statement_limits: soql.StatementLimits = soql.StatementLimits(),
    ) -> None:
        """`bulk_threshold`: create/update/upsert of at least this many records go through
        Bulk API 2.0 instead of composite calls (None: never)."""
        self.meter = UsageMeter(budget_percent=budget_percent)
        self._conn = Connection(
            credentials, api_version=api_version, retry=retry, timeout=timeout, meter=self.meter
        )
        self._bulk = BulkIngest(self._conn, sleep=retry.sleep)
        self.bulk_threshold = bulk_threshold
        statement_limits.check_uri_room()
        self.statement_limits = statement_limits
        self.skipped: list[soql.Skipped] = []  # values the last find_by_emails could not look up

    def __repr__(self) -> str:
        return f"SalesforceClient({self._conn.credentials!r})"

    # ------------------------------------------------------------------ session

    @property
    def credentials(self) -> CrmCredentials:
        return self._conn.credentials

    @property
    def api_version(self) -> str:
        return self._conn.api_version

    @property
    def logins(self) -> int:
        """How many times this client has logged in (the first login plus renewals)."""
        return self._conn.logins

    @property
    def instance(self) -> str | None:
        """The org's instance host[:port], once logged in."""
        return self._conn.instance

    def connect(self) -> None:
        """Log in now (otherwise the first call does): a quick check of the credentials."""
        self._conn.call("login", lambda sf: None)

    def close(self) -> None:
        self._conn.close()

    def change_stream(self, objects: Mapping[str, CrmObject]) -> ChangeStream:
        """Salesforce's change events over the Pub/Sub API, authenticated by this client's
        session (give the stream a client of its own: a client is one thread's)."""
        from leadbridge.salesforce.pubsub import DEFAULT_ENDPOINT, PubSubStream
        from leadbridge.salesforce.pubsub.session import ConnectionSession

        credentials = self._conn.credentials
        return PubSubStream(
            credentials.pubsub_endpoint or DEFAULT_ENDPOINT,
            ConnectionSession(self._conn),
            objects=objects,
            ca_file=credentials.ca_file,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ schema

    def describe(self, object_names: Sequence[str]) -> dict[str, CrmObject]:
        """Each object's describe, keyed by the name asked for. Objects the org does not have
        (or the user cannot see) are left out; the caller reports them."""
        described: dict[str, CrmObject] = {}
        for name in dict.fromkeys(object_names):
            path = f"sobjects/{soql.object_name(name)}/describe"
            try:
                answer = self._conn.call("describe", partial(_restful, path=path))
            except CrmError as error:
                if error.error_code in {"NOT_FOUND", "INVALID_TYPE"}:
                    log.info("Salesforce has no object %s", name)
                    continue
                raise
            described[name] = crm_object(answer)
        return described

    def custom_objects(self) -> list[str]:
        answer = self._conn.call("describe", partial(_restful, path="sobjects"))
        return custom_object_names(answer)

    # ------------------------------------------------------------------ reads

    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[CrmRecord]:
        """Every record of a query, page after page (lazily). `include_deleted`: queryAll.

        A statement too long for a request URI is refused before anything is sent."""
        check_query_uri(soql, self.api_version)
        first = partial(_query, statement=soql, include_deleted=include_deleted)
        page = self._conn.call("query", first)
        yield from self._all_pages(page)

    def _all_pages(self, page: Mapping[str, Any]) -> Iterator[CrmRecord]:
        while True:
            for record in page.get("records") or []:
                yield clean_record(record)
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._conn.call("query_more", partial(_query_more, url=str(next_url)))

    def find_by_emails(
        self,
        object_name: str,
        emails: Sequence[str],
        fields: Sequence[str],
        *,
        where: str | None = None,
    ) -> list[CrmRecord]:
        """Records whose Email is one of `emails` (trimmed, compared case-insensitively).

        `where` is an extra SOQL condition ANDed to each statement; build its literals with
        `soql.literal`. Values that cannot be looked up are in `self.skipped`, with why.
        """
        keys = list(dict.fromkeys(email_key(email) for email in emails if email.strip()))
        prefix = f"{soql.select(fields, object_name, required=('Id', 'Email'))} WHERE "
        plan = soql.in_statements(
            prefix,
            "Email",
            keys,
            suffix=f" AND ({where})" if where else "",
            limits=self.statement_limits,
        )
        self.skipped = plan.skipped
        if plan.skipped:
            log.warning("%d email(s) skipped: too long for a SOQL query", len(plan.skipped))
        records: list[CrmRecord] = []
        for group in chunks(plan.statements, QUERIES_PER_COMPOSITE):
            pages = self._conn.call(
                "query", partial(_queries, statements=list(group), client=self._conn)
            )
            for page in pages:
                records.extend(self._all_pages(page))
        return records

    def retrieve(
        self, object_name: str, ids: Sequence[str], fields: Sequence[str]
    ) -> list[CrmRecord]:
        """The records with these ids (missing or deleted ones are left out), in id order."""
        path = f"composite/sobjects/{soql.object_name(object_name)}"
        names = soql.field_list(fields)
        records: list[CrmRecord] = []
        for group in chunks(list(dict.fromkeys(ids)), RETRIEVE_BATCH):
            body = {"ids": list(group), "fields": names}
            answer = self._conn.call(
                "retrieve", partial(_restful, path=path, method="POST", json=body)
            )
            records.extend(clean_record(item) for item in json_result(answer) if item)
        return records

    def changed(
        self, object_name: str, fields: Sequence[str], start: datetime, end: datetime
    ) -> Iterator[CrmRecord]:
        """Records whose SystemModstamp is in [start, end), oldest first (then by Id).

        SOQL datetimes have whole seconds: both ends are truncated to the second, so
        consecutive windows (this end = next start) neither miss nor repeat a record."""
        statement = (
            f"{soql.select(fields, object_name, required=('Id', 'SystemModstamp'))} "
            f"WHERE SystemModstamp >= {soql.datetime_literal(start)} "
            f"AND SystemModstamp < {soql.datetime_literal(end)} ORDER BY SystemModstamp, Id"
        )
        return self.query(statement)

    def updated(
        self, object_name: str, start: datetime, end: datetime
    ) -> tuple[list[str], datetime]:
        """The Get Updated resource: ids changed in the window, and the latest time covered."""
        answer = self._replication("updated", object_name, start, end)
        return [str(value) for value in answer.get("ids") or []], parse_datetime(
            str(answer["latestDateCovered"])
        )

    def deleted(self, object_name: str, start: datetime, end: datetime) -> DeletedWindow:
        """The Get Deleted resource (the last 15 days at most)."""
        answer = self._replication("deleted", object_name, start, end)
        return DeletedWindow(
            records=tuple(
                DeletedRecord(id=str(item["id"]), deleted_at=parse_datetime(item["deletedDate"]))
                for item in answer.get("deletedRecords") or []
            ),
            earliest_available=parse_datetime(str(answer["earliestDateAvailable"])),
            latest_covered=parse_datetime(str(answer["latestDateCovered"])),
        )

    def _replication(
        self, kind: CallKind, object_name: str, start: datetime, end: datetime
    ) -> dict[str, Any]:
        path = f"sobjects/{soql.object_name(object_name)}/{kind}/"
        params = {"start": _iso(start), "end": _iso(end)}
        answer = self._conn.call(kind, partial(_restful, path=path, params=params))
        return dict(answer)

    def users(self, *, active_only: bool = True) -> list[CrmUser]:
        statement = "SELECT Id, Username, Email, Name, IsActive FROM User"
        if active_only:
            statement += " WHERE IsActive = true"
        return [
            CrmUser(
                id=str(row["Id"]),
                username=str(row.get("Username") or ""),
                email=str(row.get("Email") or ""),
                name=str(row.get("Name") or ""),
                active=bool(row.get("IsActive")),
            )
            for row in self.query(f"{statement} ORDER BY Username")
        ]

    def queues(self) -> list[CrmQueue]:
        statement = "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' ORDER BY Name"
        return [
            CrmQueue(
                id=str(row["Id"]),
                name=str(row.get("Name") or row.get("DeveloperName") or row["Id"]),
                developer_name=str(row.get("DeveloperName") or ""),
            )
            for row in self.query(statement)
        ]

    # ------------------------------------------------------------------ writes

    # Every write says whether Salesforce's active assignment rule may run: the REST API runs
    # it on lead (and case, account) creates and updates unless told `Sforce-Auto-Assign:
    # FALSE`, which would silently replace the owner leadbridge chose. `auto_assign` asks for
    # it (the records then carry no OwnerId); such writes never go through Bulk API 2.0, which
    # applies a rule only when a job names one.

    def create(
        self,
        object_name: str,
        records: Sequence[Mapping[str, Any]],
        *,
        auto_assign: bool = False,
    ) -> list[SaveResult]:
        if self._use_bulk(records) and not auto_assign:
            return self.bulk_create(object_name, records)
        items = [sobject(soql.object_name(object_name), record) for record in records]
        return self._write(
            "create", items, "composite/sobjects", "POST", created=True, auto_assign=auto_assign
        )

    def update(
        self,
        object_name: str,
        records: Sequence[Mapping[str, Any]],
        *,
        auto_assign: bool = False,
    ) -> list[SaveResult]:
        """Each record names its record by `Id`."""
        if self._use_bulk(records) and not auto_assign:
            return self.bulk_update(object_name, records)
        items = [sobject(soql.object_name(object_name), record) for record in records]
        return self._write(
            "update", items, "composite/sobjects", "PATCH", created=False, auto_assign=auto_assign
        )

    def upsert(
        self,
        object_name: str,
        external_id_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        auto_assign: bool = False,
    ) -> list[SaveResult]:
        """Each record carries its `external_id_field` value; `created` says which were new.

        Salesforce fails every record of one upsert call (or Bulk chunk) whose external id
        repeats in it (`DUPLICATE_VALUE`, "Duplicate external id specified"), so a key given
        more than once is sent in rounds: first occurrences, then second ones, and so on, each
        round after the previous one is saved. A repeat thus updates the record its earlier
        occurrence created, as separate calls would."""
        return self._upsert_in_rounds(
            object_name,
            external_id_field,
            records,
            bulk=False if auto_assign else None,
            auto_assign=auto_assign,
        )

    def _upsert_in_rounds(
        self,
        object_name: str,
        external_id_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        bulk: bool | None,
        auto_assign: bool = False,
    ) -> list[SaveResult]:
        """`bulk` None: Bulk API 2.0 for a round at or above the threshold."""
        field_name = soql.field_name(external_id_field)
        results: list[SaveResult | None] = [None] * len(records)
        stop: CrmError | None = None
        for indices in upsert_rounds(records, field_name):
            if stop is not None:
                for index, result in zip(indices, failed(len(indices), stop), strict=True):
                    results[index] = result
                continue
            part = [records[i] for i in indices]
            if bulk or (bulk is None and self._use_bulk(part)):
                saved = self._bulk_run(object_name, "upsert", part, external_id_field=field_name)
            else:
                name = soql.object_name(object_name)
                items = [sobject(name, record) for record in part]
                path = f"composite/sobjects/{name}/{field_name}"
                saved = self._write(
                    "upsert", items, path, "PATCH", created=None, auto_assign=auto_assign
                )
            for index, result in zip(indices, saved, strict=True):
                results[index] = result
            stop = next((e for r in saved for e in r.errors if isinstance(e, CrmLimitError)), None)
        return [result for result in results if result is not None]

    def delete(self, ids: Sequence[str]) -> list[SaveResult]:
        """Move records (of any type) to the recycle bin, 200 per call."""
        results: list[SaveResult] = []
        failure: CrmError | None = None
        for group in chunks(list(ids), WRITE_BATCH):
            if failure is None:
                params = {"ids": ",".join(group), "allOrNone": "false"}
                call = partial(_restful, path="composite/sobjects", method="DELETE", params=params)
                try:
                    answer = self._conn.call("delete", call)
                except CrmError as error:
                    failure = error
                else:
                    results.extend(
                        save_results(answer, len(group), created=False, redact=self._conn.redact)
                    )
                    continue
            results.extend(failed(len(group), failure))
        return results

    def _write(
        self,
        kind: CallKind,
        items: list[dict[str, Any]],
        path: str,
        method: str,
        *,
        created: bool | None,
        auto_assign: bool = False,
    ) -> list[SaveResult]:
        headers = {AUTO_ASSIGN: "TRUE"} if auto_assign else NO_RULE
        results, failure = self._send(kind, items, path, method, created=created, headers=headers)
        if failure is not None:  # the org refused a whole call: no per-record resends now
            return results

        def resend(again: list[int]) -> tuple[list[SaveResult], CrmError | None]:
            chosen = [items[i] for i in again]
            return self._send(kind, chosen, path, method, created=created, headers=headers)

        return self._retry_locked(kind, results, range(len(results)), resend)

    def _send(
        self,
        kind: CallKind,
        items: list[dict[str, Any]],
        path: str,
        method: str,
        *,
        created: bool | None,
        headers: Mapping[str, str],
    ) -> tuple[list[SaveResult], CrmError | None]:
        """One pass over `items`, 200 per call: their results, and the error that stopped
        the calls (that chunk and every later one carry it), if one did."""
        results: list[SaveResult] = []
        failure: CrmError | None = None
        for group in chunks(items, WRITE_BATCH):
            if failure is None:
                body = {"allOrNone": False, "records": list(group)}
                call = partial(_restful, path=path, method=method, json=body, headers=headers)
                try:
                    # A create replayed after a lost reply could save the records twice.
                    answer = self._conn.call(kind, call, replayable=kind != "create")
                except CrmError as error:
                    log.warning("Salesforce %s of %d records failed: %s", kind, len(group), error)
                    failure = error
                else:
                    results.extend(
                        save_results(answer, len(group), created=created, redact=self._conn.redact)
                    )
                    continue
            results.extend(failed(len(group), failure))
        return results, failure

    def _retry_locked(
        self,
        kind: CallKind,
        results: list[SaveResult],
        candidates: Iterable[int],
        resend: Callable[[list[int]], tuple[list[SaveResult], CrmError | None]],
    ) -> list[SaveResult]:
        """Send again, alone, the records Salesforce refused with a transient per-record
        error (UNABLE_TO_LOCK_ROW inside a 200 response or a Bulk job's failedResults), with
        the retry policy's backoff, at most `attempts` tries in all. Salesforce says they were
        not saved, so even a create is safe to resend; the records that succeeded are never
        sent again. `candidates`: the positions whose result Salesforce reported per record.
        Whatever is still locked after the last try keeps a transient error in plain words
        (the sync retries it in a later cycle)."""
        results = list(results)
        again = [i for i in candidates if _only_transient(results[i])]
        tries = 1
        while again and tries < self._conn.retry.attempts:
            self._conn.retry.sleep(self._conn.retry.backoff(tries))
            log.info("Salesforce %s: resending %d locked record(s)", kind, len(again))
            retried, failure = resend(again)
            for i, result in zip(again, retried, strict=True):
                results[i] = result
            tries += 1
            if failure is not None:
                log.warning(
                    "Salesforce %s resend of %d records failed: %s", kind, len(again), failure
                )
                return results
            again = [i for i in again if _only_transient(results[i])]
        for i in again:
            results[i] = _still_locked(results[i], tries)
        return results

    def _use_bulk(self, records: Sequence[object]) -> bool:
        return self.bulk_threshold is not None and len(records) >= self.bulk_threshold

    # ------------------------------------------------------------------ bulk

    def bulk_create(
        self, object_name: str, records: Sequence[Mapping[str, Any]]
    ) -> list[SaveResult]:
        return self._bulk_run(object_name, "insert", records)

    def bulk_update(
        self, object_name: str, records: Sequence[Mapping[str, Any]]
    ) -> list[SaveResult]:
        return self._bulk_run(object_name, "update", records)

    def bulk_upsert(
        self, object_name: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[SaveResult]:
        """Bulk API 2.0 upsert; a key given more than once goes in rounds (see `upsert`)."""
        return self._upsert_in_rounds(object_name, external_id_field, records, bulk=True)

    def _bulk_run(
        self,
        object_name: str,
        operation: Operation,
        records: Sequence[Mapping[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> list[SaveResult]:
        """A Bulk API 2.0 job; records whose result row says they were locked are sent again
        (a smaller job, or composite calls below the bulk threshold). Records whose outcome
        the job did not report row by row are never resent: the job may have saved them."""
        if not records:
            return []
        name = soql.object_name(object_name)
        outcome = self._bulk.run_reporting(
            name, operation, records, external_id_field=external_id_field
        )

        def resend(again: list[int]) -> tuple[list[SaveResult], CrmError | None]:
            chosen = [records[i] for i in again]
            if self._use_bulk(chosen):
                retried = self._bulk.run_reporting(
                    name, operation, chosen, external_id_field=external_id_field
                )
                unreported = [
                    result.errors[0]
                    for position, result in enumerate(retried.results)
                    if position not in retried.reported and result.errors
                ]
                return retried.results, unreported[0] if unreported else None
            items = [sobject(name, record) for record in chosen]
            if operation == "insert":
                return self._send(
                    "create", items, "composite/sobjects", "POST", created=True, headers=NO_RULE
                )
            if operation == "update":
                return self._send(
                    "update", items, "composite/sobjects", "PATCH", created=False, headers=NO_RULE
                )
            path = f"composite/sobjects/{name}/{external_id_field}"
            return self._send("upsert", items, path, "PATCH", created=None, headers=NO_RULE)

        return self._retry_locked("bulk", outcome.results, sorted(outcome.reported), resend)

    # ------------------------------------------------------------------ field history

    def field_history(
        self, object_name: str, ids: Sequence[str], fields: Sequence[str]
    ) -> list[FieldChange]:
        """`SELECT <Parent>Id, Field, OldValue, NewValue, CreatedDate FROM <Object>History
        WHERE <Parent>Id IN (…) AND Field IN (…)`, a few statements per call (like the email
        lookups). An org without the history object (INVALID_TYPE) has no history: []."""
        wanted = list(dict.fromkeys(ids))
        names = list(dict.fromkeys(fields))
        if not wanted or not names:
            return []
        history, parent = history_names(object_name)
        select = soql.select(["Field", "OldValue", "NewValue", "CreatedDate"], history,
                             required=(parent,))  # fmt: skip
        plan = soql.in_statements(
            f"{select} WHERE ",
            parent,
            wanted,
            suffix=f" AND {soql.in_clause('Field', names)} ORDER BY CreatedDate",
            limits=self.statement_limits,
        )
        rows: list[CrmRecord] = []
        try:
            for group in chunks(plan.statements, QUERIES_PER_COMPOSITE):
                pages = self._conn.call(
                    "query", partial(_queries, statements=list(group), client=self._conn)
                )
                for page in pages:
                    rows.extend(self._all_pages(page))
        except CrmError as error:
            if error.error_code == "INVALID_TYPE":
                return []
            raise
        return [change for row in rows if (change := _field_change(row, parent)) is not None]

    # ------------------------------------------------------------------ clock

    def server_now(self) -> datetime:
        """Salesforce's clock now (from the last reply's `Date` header); when no reply has
        been seen yet, logging in provides one (a login does not count against the allowance)."""
        now = self._conn.server_clock.now()
        if now is None:
            self.connect()
            now = self._conn.server_clock.now()
        if now is None:
            raise CrmError(
                "NO_SERVER_DATE",
                "Salesforce's replies carry no Date header, so its clock cannot be read",
            )
        return now

    # ------------------------------------------------------------------ usage

    def usage(self, *, refresh: bool = False) -> ApiUsageReport:
        """What is known of the org's allowance and our spending; `refresh` asks the org
        (one `limits` call) instead of relying on the last reply's header."""
        if refresh:
            answer = self._conn.call("limits", lambda sf: sf.limits())
            daily = (answer or {}).get("DailyApiRequests") or {}
            if "Max" in daily and "Remaining" in daily:
                self.meter.record(int(daily["Max"]) - int(daily["Remaining"]), int(daily["Max"]))
        return self.meter.report()


# ---------------------------------------------------------------------- operations
# Module-level functions bound with functools.partial: each is one API call given a handle.


def _restful(sf: Salesforce, *, path: str, method: str = "GET", **kwargs: Any) -> Any:
    return sf.restful(path, method=method, **kwargs)


def _query(sf: Salesforce, *, statement: str, include_deleted: bool) -> Any:
    return sf.query(statement, include_deleted=include_deleted)


def _query_more(sf: Salesforce, *, url: str) -> Any:
    return sf.query_more(url, identifier_is_url=True)


def _queries(sf: Salesforce, *, statements: list[str], client: Connection) -> list[Any]:
    """The first page of each statement: a plain query for one, a composite request (one
    API call) for up to five."""
    if len(statements) == 1:
        return [sf.query(statements[0])]
    base = f"/services/data/v{client.api_version}/query"
    body = {
        "allOrNone": False,
        "compositeRequest": [
            {"method": "GET", "url": f"{base}?{urlencode({'q': text})}", "referenceId": f"q{i}"}
            for i, text in enumerate(statements)
        ],
    }
    answer = sf.restful("composite", method="POST", json=body) or {}
    by_reference = {item.get("referenceId"): item for item in answer.get("compositeResponse", [])}
    pages = []
    for i in range(len(statements)):
        item = by_reference.get(f"q{i}") or {}
        status = int(item.get("httpStatusCode") or 500)
        if status >= 400:
            raise from_body(item.get("body"), status, redact=client.redact)
        pages.append(item["body"])
    return pages


def upsert_rounds(records: Sequence[Mapping[str, Any]], field_name: str) -> list[list[int]]:
    """Record indexes in rounds in which no external id repeats, in request order: a key's
    n-th occurrence goes in round n. Keys compare as Salesforce matches them (text
    case-insensitively, record ids by their 15-character form); records without one go in
    the first round (Salesforce refuses them alone)."""
    seen: dict[str, int] = {}
    rounds: list[list[int]] = []
    for index, record in enumerate(records):
        value = record.get(field_name)
        text = "" if value is None else str(value).strip()
        if not text:
            number = 0
        else:
            key = text[:15] if field_name.lower() == "id" else text.lower()
            number = seen.get(key, 0)
            seen[key] = number + 1
        while len(rounds) <= number:
            rounds.append([])
        rounds[number].append(index)
    return rounds


def history_names(object_name: str) -> tuple[str, str]:
    """Salesforce's history object and parent field for an object: LeadHistory / LeadId,
    Custom__History / ParentId."""
    name = soql.object_name(object_name)
    if name.endswith("__c"):
        return name.removesuffix("__c") + "__History", "ParentId"
    return f"{name}History", f"{name}Id"


def _field_change(row: Mapping[str, Any], parent: str) -> FieldChange | None:
    if not row.get("CreatedDate") or not row.get(parent) or not row.get("Field"):
        return None
    at = parse_datetime(str(row["CreatedDate"]))
    return FieldChange(str(row[parent]), str(row["Field"]), row.get("NewValue"), at)


def _only_transient(result: SaveResult) -> bool:
    """A record refused only for a transient reason (a row lock), not a limit or bad data."""
    return not result.success and all(
        isinstance(error, CrmTransientError) and not isinstance(error, CrmLimitError)
        for error in result.errors
    )


def _still_locked(result: SaveResult, tries: int) -> SaveResult:
    """A record still refused after the last resend: its errors said plainly, still transient
    (same code), so the sync keeps it queued for a later cycle."""
    said = "try" if tries == 1 else f"{tries} tries"
    errors = tuple(
        make_error(
            error.error_code,
            f"Salesforce still had this record locked (another process was saving it) after "
            f"{said}; leadbridge sends it again in a later sync. Salesforce said: {error.message}",
            fields=list(error.fields),
            status=error.status,
            details=error.details,
        )
        for error in result.errors
    )
    return SaveResult(id=result.id, success=False, created=result.created, errors=errors)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("replication windows need timezone-aware datetimes")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


if TYPE_CHECKING:  # mypy checks that SalesforceClient is a CrmClient

    def _is_a_crm_client(client: SalesforceClient) -> CrmClient:
        return client
