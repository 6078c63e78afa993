"""The intake use cases for the CLI and the HTTP app: send ids, import a CSV. Automation
rules run on every prospect they touch, in the same transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from leadbridge.automation import run_rules_for
from leadbridge.importing.report import ImportSummary
from leadbridge.importing.run import Progress, import_csv
from leadbridge.ports import Clock, CrmClient
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.sync.intake import IntakeSummary, send_to_leadbridge


class IntakeService:
    """Send to leadbridge and manual upload over one database, with a Salesforce client made
    on first use (so the HTTP app starts without reaching Salesforce)."""

    def __init__(self, db: Database, clock: Clock, crm: Callable[[], CrmClient]) -> None:
        self.db = db
        self.clock = clock
        self._make_crm = crm
        self._crm: CrmClient | None = None
        self._lock = threading.Lock()

    def crm(self) -> CrmClient:
        with self._lock:
            if self._crm is None:
                self._crm = self._make_crm()
            return self._crm

    def _after(
        self,
        session: Any,
        prospect_ids: Sequence[int],
        origin: Any,
        /,
        *,
        fresh: Sequence[Prospect] = (),
    ) -> object:
        return run_rules_for(session, self.clock, prospect_ids, origin, fresh=fresh)

    def send(self, ids: Sequence[str]) -> IntakeSummary:
        return send_to_leadbridge(self.db, self.crm(), self.clock, ids, after_change=self._after)

    def import_csv(
        self, data: bytes, *, undelete: bool = False, progress: Progress | None = None
    ) -> ImportSummary:
        """The report of every row; `stopped` is set when it did not get to the end."""
        return import_csv(
            self.db,
            self.crm(),
            self.clock,
            data,
            undelete=undelete,
            progress=progress,
            after_change=self._after,
        )

    # The HTTP app's view (plain JSON-ready data; see leadbridge.api.intake.IntakeGateway).
    def send_json(self, ids: Sequence[str]) -> dict[str, Any]:
        return self.send(ids).as_dict()

    def import_json(self, data: bytes, *, undelete: bool) -> dict[str, Any]:
        """The report; its `stopped` is not null when the import stopped midway."""
        return self.import_csv(data, undelete=undelete).as_dict()
