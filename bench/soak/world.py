"""leadbridge's side of a soak run: a migrated, connected template database made once, and per
run a fresh copy of it with the org's users synced and a form handler that assigns a rep."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from leadbridge.automation.forms import FormHandlerService
from leadbridge.cli.context import make_client
from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.ports import SystemClock
from leadbridge.store import Database, SecretBox, open_database
from leadbridge.store.field_mappings import FieldMappingRepository

DB_FILE = "leadbridge.sqlite3"
REP_USERS = 2  # seeded sales reps (plus the admin and an inactive user)


def database_url(home: Path) -> str:
    return f"sqlite:///{home / DB_FILE}"


def connector(db: Database, home: Path) -> ConnectorService:
    return ConnectorService(db, SystemClock(), make_client, SecretBox(home / "secret.key"))


def make_template(home: Path, sandbox_dir: Path) -> None:
    """Migrate, add the sandbox connector, verify it (schema, default mappings), resume it, and
    make job title and city "most recent" fields (the rest keep their defaults)."""
    home.mkdir(parents=True, exist_ok=True)
    db = open_database(database_url(home))
    try:
        service = connector(db, home)
        service.add_sandbox(sandbox_dir)
        service.verify()
        service.set_paused(False)
        with db.session() as session:
            mappings = FieldMappingRepository(session)
            for field, lead, contact in (
                ("job_title", "Title", "Title"),
                ("city", "City", "MailingCity"),
            ):
                mappings.upsert(
                    field,
                    lead_field=lead,
                    contact_field=contact,
                    behaviour=SyncBehaviour.MOST_RECENT,
                    is_default=True,
                )
    finally:
        db.dispose()


@dataclass
class RunHome:
    home: Path
    db: Database
    rep_email: str  # a leadbridge user mapped to a Salesforce rep
    rep_username: str  # that rep's Salesforce username (for control-plane actions)
    form_id: int

    @property
    def url(self) -> str:
        return database_url(self.home)


def fresh_home(template: Path, home: Path) -> RunHome:
    """A copy of the template, with the org's users synced and the soak's form handler."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home)
    db = open_database(database_url(home))
    service = connector(db, home)
    report = service.sync_users(create=True)
    entries = [*report.created, *report.matched, *report.already_mapped]
    reps = sorted(
        (entry for entry in entries if "sandbox-sales" in entry.get("crm_username", "")),
        key=lambda entry: entry["crm_username"],
    )
    if not reps:
        raise RuntimeError(f"no sales rep among the synced users: {entries}")
    rep = reps[0]
    handler = FormHandlerService(db, SystemClock()).add(
        "Soak form",
        actions=[{"type": "assign_user", "user": rep["email"]}],
    )
    return RunHome(home, db, rep["email"], rep["crm_username"], int(handler["id"]))
