"""What every command needs, built on demand from the settings (never at import time)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import cache
from typing import TYPE_CHECKING, Any

# Everything below is imported where it is used: `leadbridge --help` and the simple commands
# must not pay for SQLAlchemy, simple-salesforce, FastAPI and the sync engine up front.
if TYPE_CHECKING:
    import sqlite3

    from leadbridge.automation.form_posts import FormPostIntake
    from leadbridge.automation.spool import SubmissionSpool
    from leadbridge.connector.service import ConnectorService
    from leadbridge.ports import CrmClient, SystemClock
    from leadbridge.salesforce.client import SalesforceClient
    from leadbridge.salesforce.credentials import CrmCredentials
    from leadbridge.settings import Settings
    from leadbridge.store.connector_settings import ConnectorSettings
    from leadbridge.store.database import Database
    from leadbridge.store.secret_box import SecretBox
    from leadbridge.sync.cycle import CycleSummary, SyncCycle
    from leadbridge.sync.push import Progress as ProgressCallback
    from leadbridge.sync.push import PushEngine
    from leadbridge.sync.runner import SyncLease
    from leadbridge.sync.stream import ChangeStreamRunner

log = logging.getLogger("leadbridge.sync")


@cache
def settings() -> Settings:
    from leadbridge.settings import load_settings

    return load_settings()


@cache
def database() -> Database:
    from leadbridge.store.database import open_database

    return open_database(settings().resolved_database_url)


def quick_reader() -> sqlite3.Connection | None:
    """A read-only sqlite3 connection for the simple listings, or None: the full path then
    (see store/quick_reads.py)."""
    from leadbridge.store.quick_reads import open_reader

    return open_reader(settings().resolved_database_url)


def clock() -> SystemClock:
    from leadbridge.ports import SystemClock

    return SystemClock()


def make_client(credentials: CrmCredentials, settings: ConnectorSettings) -> SalesforceClient:
    """The Salesforce client, honouring the connector's API budget and Bulk threshold."""
    from leadbridge.salesforce.client import SalesforceClient

    return SalesforceClient(
        credentials,
        budget_percent=settings.api_budget_percent,
        bulk_threshold=settings.bulk_threshold,
    )


def push_engine(
    progress: ProgressCallback | None = None, lease: SyncLease | None = None
) -> PushEngine:
    from leadbridge.sync.push import PushEngine

    return PushEngine(
        database(),
        connector_service().client(),
        clock(),
        progress=progress,
        guard=None if lease is None else lease.check,
    )


def sync_cycle_now(
    progress: ProgressCallback | None = None,
    *,
    crm: CrmClient | None = None,
    lease: SyncLease | None = None,
    stop: threading.Event | None = None,
    streaming: Callable[[], bool] | None = None,
    turns: AbstractContextManager[object] | None = None,
) -> SyncCycle:
    """One sync cycle as the CLI, `serve` and `make run` run it: pull (with automation rules
    run on what Salesforce changed, in the pull's transaction), then push. Run it while
    holding `lease` (its `check` fences every write)."""
    from leadbridge.sync.cycle import sync_cycle

    return sync_cycle(
        database(),
        crm or connector_service().client(),
        clock(),
        after_pull=rules_after_changes(),
        progress=progress,
        guard=None if lease is None else lease.check,
        stop=stop,
        streaming=streaming,
        turns=turns,
    )


def new_client() -> CrmClient:
    """A Salesforce client of its own, on the connector's credentials and settings as they
    are now (a client is one thread's: the change stream's runner makes its own)."""
    from leadbridge.store.connector import ConnectorRepository

    with database().session(readonly=True) as session:
        settings = ConnectorRepository(session).settings()
    return make_client(connector_service().credentials(), settings)


def rules_after_changes() -> Callable[[Any, list[int]], None]:
    """The automation rules, run on the prospects Salesforce changed, in that transaction."""
    from leadbridge.automation.engine import run_rules_for
    from leadbridge.domain.fields import Origin

    now = clock()

    def run_rules(session: Any, prospect_ids: list[int]) -> None:
        run_rules_for(session, now, prospect_ids, Origin.SALESFORCE)

    return run_rules


STREAM_START_WAIT = 30.0  # seconds the first cycle waits for the change stream to settle


class SyncRunner:
    """Sync cycles as every loop and `sync once` run them: each under the sync lease, with
    one Salesforce client kept across cycles (it logs in once and renews an expired session
    itself), built again only when the connector's credentials, API budget or Bulk
    threshold change, and closed by `close`.

        runner = SyncRunner(stop=stop)
        summary = runner.run_once()     # LeaseHeldError: another runner is at it
    """

    def __init__(
        self,
        *,
        stop: threading.Event | None = None,
        wait: float | None = 0,
        progress: Callable[[], ProgressCallback | None] | None = None,
    ) -> None:
        self.stop = stop or threading.Event()
        self.wait = wait
        self.progress = progress
        self.lease = _sync_lease()
        self.stream_lock = threading.Lock()
        self._stream_thread: threading.Thread | None = None
        self._stream_runner: ChangeStreamRunner | None = None
        self._client: CrmClient | None = None
        self._client_key: object = None

    def run_once(self) -> CycleSummary:
        if self._stream_runner is not None and not self._stream_runner.settled.is_set():
            # The first cycle waits for the stream to come up: it would poll what the stream
            # is about to deliver (a backlog kept while leadbridge was stopped).
            self._stream_runner.settled.wait(STREAM_START_WAIT)
        with self.lease.held(wait=self.wait):
            cycle = sync_cycle_now(
                None if self.progress is None else self.progress(),
                crm=self.client(),
                lease=self.lease,
                stop=self.stop,
                streaming=self._streaming if self._stream_thread is not None else None,
                turns=self.stream_lock if self._stream_thread is not None else None,
            )
            try:
                return cycle.run_once()
            finally:
                self._record_usage()

    def start_stream(self) -> None:
        """Run the change stream on a thread beside the cycles (`serve`, `sync run`, `run`):
        Salesforce's changes as they happen when the org publishes them (see
        `leadbridge.sync.stream`). Its applies and the cycles take turns (`stream_lock`)."""
        from leadbridge.sync.stream import ChangeStreamRunner

        if self._stream_thread is not None or not settings().change_stream:
            return
        runner = ChangeStreamRunner(
            database(),
            clock(),
            new_client,
            after_changes=rules_after_changes(),
            stop=self.stop,
            lock=self.stream_lock,
        )
        self._stream_runner = runner
        self._stream_thread = threading.Thread(target=runner.run, name="change-stream", daemon=True)
        self._stream_thread.start()

    def _close_client(self) -> None:
        client, self._client, self._client_key = self._client, None, None
        if client is not None:
            client.close()

    def _streaming(self) -> bool:
        from leadbridge.sync.stream import streaming

        return streaming(database(), clock())

    def _record_usage(self) -> None:
        """Keep the org's API usage as last seen, for the console's connector page."""
        if self._client is None:
            return
        from leadbridge.store.connector import ConnectorRepository
        from leadbridge.store.connector_status import record_api_usage

        usage = self._client.usage()
        try:
            with database().session() as session:
                record_api_usage(
                    ConnectorRepository(session),
                    used=usage.used,
                    limit=usage.limit,
                    at=clock().now(),
                )
        except Exception:  # a busy store must not fail the cycle over a figure for a page
            log.warning("could not record the API usage", exc_info=True)

    def client(self) -> CrmClient:
        """The loop's client; a new one when what it was built from has changed."""
        from leadbridge.store.connector import ConnectorRepository

        service = connector_service()
        credentials = service.credentials()
        with database().session(readonly=True) as session:
            settings = ConnectorRepository(session).settings()
        key = (credentials, settings.api_budget_percent, settings.bulk_threshold)
        if self._client is None or key != self._client_key:
            if self._client is not None:
                log.info("the connector's settings changed: a new Salesforce client")
            self._close_client()
            self._client = make_client(credentials, settings)
            self._client_key = key
        return self._client

    def poll_interval(self) -> float:
        """The connector's poll interval as it is now (settings apply without a restart)."""
        from leadbridge.store.connector import ConnectorRepository

        with database().session(readonly=True) as session:
            return float(ConnectorRepository(session).settings().poll_interval_seconds)

    def close(self) -> None:
        self._close_client()
        thread, self._stream_thread = self._stream_thread, None
        if thread is not None:
            self.stop.set()
            thread.join(timeout=10)


def _sync_lease() -> SyncLease:
    """The sync lease. A `SyncLease` set on this module replaces the class (the soak gives its
    runners a short lease: `context.SyncLease = partial(SyncLease, ttl=4)`)."""
    from leadbridge.sync import runner

    factory: Callable[..., SyncLease] = globals().get("SyncLease") or runner.SyncLease
    return factory(database(), clock())


def form_spool() -> SubmissionSpool:
    """Form posts the store could not take at once (see automation/spool.py)."""
    from leadbridge.api.forms import FORM_WAIT_MS
    from leadbridge.automation.spool import SubmissionSpool
    from leadbridge.automation.submissions import FormSubmissionService

    service = FormSubmissionService(database(), clock(), busy_timeout_ms=FORM_WAIT_MS)
    return SubmissionSpool(settings().home / "spool" / "forms", service)


def form_posts() -> FormPostIntake | None:
    """The form intake that keeps posts to apply later: on PostgreSQL only (on SQLite a
    post is applied at once). See automation/form_posts.py."""
    from leadbridge.automation.form_posts import FormPostIntake

    db = database()
    return FormPostIntake(db, clock()) if db.backend == "postgresql" else None


def secret_box() -> SecretBox:
    from leadbridge.store.secret_box import SecretBox

    return SecretBox(settings().home / "secret.key")


def connector_service() -> ConnectorService:
    from leadbridge.connector.service import ConnectorService

    return ConnectorService(database(), clock(), make_client, secret_box())


def reset() -> None:
    """Forget cached settings and connections (tests run several CLI calls in one process)."""
    if database.cache_info().currsize:
        database().dispose()
    database.cache_clear()
    settings.cache_clear()
