"""Salesforce clients for jobs: one per job at a time (a client is not thread-safe), kept
between jobs so a worker logs in once, built again when the connector's credentials, API
budget or Bulk threshold change.

Before a job starts, the org's API usage as last recorded by any worker (the store keeps it)
is checked against the connector's budget: a worker whose own client has not called
Salesforce for a while does not go on as if the whole budget were its own. Each client also
reads the org's usage from every reply (salesforce/usage.py), which counts every worker's
calls, since Salesforce counts them for the whole org.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from leadbridge.cli import context
from leadbridge.errors import CrmLimitError
from leadbridge.ports import CrmClient

log = logging.getLogger("leadbridge.workers")
USAGE_FRESH = timedelta(minutes=10)  # as the client's own `stale_after`


class ClientPool:
    def __init__(self) -> None:
        self._idle: list[tuple[object, CrmClient]] = []
        self._lock = threading.Lock()

    @contextmanager
    def client(self) -> Iterator[CrmClient]:
        """A client for one job; the org's usage recorded after it, for every worker."""
        from leadbridge.store.connector import ConnectorRepository

        service = context.connector_service()
        credentials = service.credentials()
        with context.database().session(readonly=True) as session:
            settings = ConnectorRepository(session).settings()
        check_budget(settings.api_budget_percent)
        key = (credentials, settings.api_budget_percent, settings.bulk_threshold)
        client = self._take(key) or context.make_client(credentials, settings)
        try:
            yield client
        finally:
            record_usage(client)
            with self._lock:
                self._idle.append((key, client))

    def _take(self, key: object) -> CrmClient | None:
        with self._lock:
            for index, (held, client) in enumerate(self._idle):
                if held == key:
                    del self._idle[index]
                    return client
            stale, self._idle = self._idle, []
        for _, client in stale:
            client.close()
        return None

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, client in idle:
            client.close()


def check_budget(percent: int) -> None:
    """CrmLimitError when the org's usage as last recorded (by any worker, recently) has
    reached leadbridge's budget."""
    from leadbridge.store.connector import ConnectorRepository
    from leadbridge.store.connector_status import api_usage

    with context.database().session(readonly=True) as session:
        usage = api_usage(ConnectorRepository(session))
    if usage is None or context.clock().now() - usage.at > USAGE_FRESH:
        return
    if usage.limit and usage.used >= usage.budget(percent):
        raise CrmLimitError(
            "API_BUDGET",
            f"the org has used {usage.used} of {usage.limit} API calls, leadbridge's budget "
            f"is {percent}%: the job waits for the next poll",
        )


def record_usage(client: CrmClient) -> None:
    """Keep the org's API usage as this client last saw it (for the budget check above and
    the console's connector page)."""
    from leadbridge.store.connector import ConnectorRepository
    from leadbridge.store.connector_status import record_api_usage

    usage = client.usage()
    if usage.used is None or usage.limit is None:
        return
    try:
        with context.database().session() as session:
            record_api_usage(
                ConnectorRepository(session),
                used=usage.used,
                limit=usage.limit,
                at=context.clock().now(),
            )
    except Exception:  # a figure for a page and a check: never fail the job over it
        log.warning("could not record the API usage", exc_info=True)
