"""The pull (and the whole cycle) wired to the sandbox org: the push suite's `wired` store,
plus helpers to edit Salesforce as a sales rep and to poll."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadbridge.automation.engine import run_rules_for
from leadbridge.domain.fields import Origin, SyncBehaviour
from leadbridge.store import ProspectRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.field_mappings import FieldMappingRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.sync_errors import SyncErrorRepository
from leadbridge.sync.cycle import CycleSummary, sync_cycle
from leadbridge.sync.pull import PullEngine, PullSummary
from tests.integration.sync.conftest import Wired, wired  # noqa: F401


class Puller:
    """A connected org with helpers: link a prospect, edit in Salesforce, poll."""

    def __init__(self, connected: Wired) -> None:
        self.w = connected
        self.rep = str(
            connected.rows(
                'SELECT "Username" FROM "User" WHERE "IsActive" = 1 AND lower("Username") != ?',
                connected.sandbox.credentials["username"].lower(),
            )[0]["Username"]
        )

    def now(self) -> None:
        """leadbridge's clock moves on with the real time (its own bookkeeping: audit times);
        pull windows are on Salesforce's clock, whatever this one says."""
        self.w.clock.at = datetime.now(UTC)

    def engine(self) -> PullEngine:
        def rules(session: Any, ids: list[int]) -> None:
            run_rules_for(session, self.w.clock, ids, Origin.SALESFORCE)

        return PullEngine(self.w.db, self.w.crm, self.w.clock, after_changes=rules)

    def pull(self) -> PullSummary:
        self.now()
        return self.engine().run_once()

    def cycle(self) -> CycleSummary:
        self.now()
        return sync_cycle(self.w.db, self.w.crm, self.w.clock).run_once()

    def linked(self, email: str, **values: Any) -> tuple[int, str]:
        """A prospect pushed to Salesforce as a new lead: (prospect id, lead id)."""
        pid = self.w.add(email, **values)
        self.now()
        self.w.engine().run_once()
        prospect = self.get(pid)
        assert prospect.crm_lead_id is not None
        return pid, prospect.crm_lead_id

    def edit(self, object_name: str, crm_id: str, **fields: Any) -> None:
        body = {"fields": fields, "as_user": self.rep}
        self.w.control("PATCH", f"/records/{object_name}/{crm_id}", body)

    def get(self, pid: int) -> Prospect:
        with self.w.db.session() as session:
            return ProspectRepository(session, self.w.clock).get(pid)

    def setting(self, key: str, value: str) -> None:
        with self.w.db.session() as session:
            ConnectorRepository(session).set_setting(key, value)

    def mapping(self, name: str, api: str, behaviour: SyncBehaviour, blank: bool = False) -> None:
        with self.w.db.session() as session:
            FieldMappingRepository(session).upsert(
                name,
                lead_field=api,
                contact_field=api,
                behaviour=behaviour,
                blank_overwrites=blank,
            )

    def warnings(self, pid: int) -> list[str]:
        with self.w.db.session() as session:
            found = SyncErrorRepository(session, self.w.clock).for_prospect(pid)
        return [f"{e.error_code}: {e.message}" for e in found if e.resolved_at is None]
