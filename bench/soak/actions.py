"""What happens to the records during a run: prospect edits, creates, form posts and imports in
leadbridge (through its own services), and a sales rep's edits, creates, deletes, merges and
conversions in Salesforce (the sandbox's control plane). Each logs its writes in the oracle."""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy import select

from bench.soak.oracle import BY_FIELD, LB, SF, Entity, Tracked
from bench.soak.org import SoakOrg
from bench.soak.world import RunHome, connector
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.importing.service import IntakeService
from leadbridge.marketing.prospects import ProspectService
from leadbridge.ports import SystemClock
from leadbridge.store.models.prospects import ProspectRow

CLOCK = SystemClock()


class Actor:
    """Acts on one run's two sides and keeps the oracle up to date."""

    def __init__(
        self,
        org: SoakOrg,
        run: RunHome,
        rng: random.Random,
        tag: str,
        tracked: tuple[Tracked, ...],
    ) -> None:
        self.org = org
        self.tracked = tracked
        self.fields = tuple(t.field for t in tracked)
        self.run = run
        self.rng = rng
        self.tag = tag
        self.entities: dict[str, Entity] = {}
        self.pending_imports: list[str] = []
        self.counter = 0
        self.done: dict[str, int] = {}
        self.refused: dict[str, int] = {}  # actions the system refused (locked store, …)
        self._intake: IntakeService | None = None

    # ------------------------------------------------------------------ helpers

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _value(self, name: str) -> Any:
        n = self._next()
        if name == "score":
            return self.rng.randint(1, 999)
        if name == "phone":
            return f"555-{n:04d}"
        return f"{name[:4]}-{self.tag}-{n}"

    def _count(self, what: str, ok: bool = True) -> None:
        table = self.done if ok else self.refused
        table[what] = table.get(what, 0) + 1

    def _new_email(self, kind: str) -> str:
        return f"{kind}{self._next()}.{self.tag}@soak.example.com"

    def prospect_row(self, email: str) -> ProspectRow | None:
        with self.run.db.session(readonly=True) as session:
            rows = session.scalars(
                select(ProspectRow).where(ProspectRow.email_key == email.lower())
            ).all()
            live = [row for row in rows if not row.recycled]
            row = live[0] if live else (rows[0] if rows else None)
            if row is not None:
                session.expunge(row)
            return row

    def crm_record(self, entity: Entity) -> tuple[str, str] | None:
        """The Salesforce record the prospect is on: what the soak made, else leadbridge's link."""
        if entity.crm_id is not None and entity.crm_object is not None:
            return entity.crm_object, entity.crm_id
        row = self.prospect_row(entity.email)
        if row is None:
            return None
        if row.crm_contact_id:
            return "Contact", row.crm_contact_id
        if row.crm_lead_id:
            return "Lead", row.crm_lead_id
        return None

    def live(self) -> list[Entity]:
        return [entity for entity in self.entities.values() if entity.live]

    # ------------------------------------------------------------------ leadbridge side

    def lb_edit(self, entity: Entity, name: str) -> None:
        if not entity.can_write([name], time.time()):
            return
        value = self._value(name)
        try:
            ProspectService(self.run.db, CLOCK).edit(entity.email, {name: value})
        except Exception as error:  # a locked store, a prospect the sync recycled, …
            self._count("lb edit", ok=False)
            entity.note(f"lb edit {name} refused: {error}")
            return
        entity.record(name, LB, value, "lb edit")
        self._count("lb edit")

    def lb_create(self, *, form: bool) -> None:
        email = self._new_email("form" if form else "lb")
        entity = Entity(email)
        values = {
            "email": email,
            "first_name": "Soak",
            "last_name": f"P{self._next()}",
            "company": f"Soak Co {self.tag}",
            "job_title": self._value("job_title"),
            "city": self._value("city"),
        }
        try:
            if form:
                FormSubmissionService(self.run.db, CLOCK).submit(self.run.form_id, values)
            else:
                prospects = ProspectService(self.run.db, CLOCK)
                prospects.add(values)
                prospects.assign(email, self.run.rep_email)
        except Exception as error:
            self._count("form post" if form else "lb create", ok=False)
            entity.note(f"create refused: {error}")
            return
        how = "form post" if form else "lb create"
        entity.in_leadbridge = True
        for name in ("job_title", "city"):
            entity.record(name, LB, values[name], how)
        if "score" in self.fields:
            entity.record("score", LB, 0, how)
        self.entities[email] = entity
        self._count(how)

    def lb_delete(self, entity: Entity) -> None:
        try:
            ProspectService(self.run.db, CLOCK).delete(entity.email)
        except Exception as error:
            self._count("lb delete", ok=False)
            entity.note(f"lb delete refused: {error}")
            return
        entity.deleted_in_lb = True
        entity.note("deleted in leadbridge")
        self._count("lb delete")

    def import_pending(self) -> None:
        """Import (a CSV of their emails) the rep's leads not yet in leadbridge."""
        if not self.pending_imports:
            return
        data = ("email\n" + "\n".join(self.pending_imports) + "\n").encode()
        try:
            self._intake_service().import_csv(data)
        except Exception as error:  # Salesforce unreachable: the next tick tries again
            self._count("csv import", ok=False)
            for email in self.pending_imports:
                self.entities[email].note(f"import failed: {error}")
            return
        still: list[str] = []
        for email in self.pending_imports:
            entity = self.entities[email]
            row = self.prospect_row(email)
            if row is None or row.recycled:
                still.append(email)
                entity.note("import did not take it")
                continue
            entity.in_leadbridge = True
            entity.note(f"imported as prospect {row.id}")
        self.pending_imports = still
        self._count("csv import")

    def _intake_service(self) -> IntakeService:
        if self._intake is None:
            service = connector(self.run.db, self.run.home)
            self._intake = IntakeService(self.run.db, CLOCK, service.client)
        return self._intake

    def close(self) -> None:
        if self._intake is not None and self._intake._crm is not None:
            close = getattr(self._intake._crm, "close", None)
            if close is not None:
                close()

    # ------------------------------------------------------------------ Salesforce side (a rep)

    def _rep(self, method: str, path: str, body: dict[str, Any]) -> Any:
        return self.org.control(method, path, {"as_user": self.run.rep_username, **body})

    def sf_create(self) -> None:
        email = self._new_email("rep")
        entity = Entity(email)
        fields = {
            "LastName": f"R{self._next()}",
            "Company": f"Rep Co {self.tag}",
            "Email": email,
            "Title": self._value("job_title"),
            "City": self._value("city"),
            "Phone": self._value("phone"),
        }
        try:
            created = self._rep("POST", "/records/Lead", {"fields": fields})
        except RuntimeError as error:
            self._count("sf create", ok=False)
            entity.note(f"rep create refused: {error}")
            return
        entity.crm_object, entity.crm_id = "Lead", str(created["id"])
        for name, crm_field in (("job_title", "Title"), ("city", "City"), ("phone", "Phone")):
            entity.record(name, SF, fields[crm_field], "rep create")
        self.entities[email] = entity
        self.pending_imports.append(email)
        self._count("sf create")

    def sf_edit(self, entity: Entity, name: str) -> None:
        record = self.crm_record(entity)
        if record is None or not entity.can_write([name], time.time()):
            return
        object_name, crm_id = record
        tracked = BY_FIELD[name]
        crm_field = tracked.lead_field if object_name == "Lead" else tracked.contact_field
        value = self._value(name)
        try:
            self._rep("PATCH", f"/records/{object_name}/{crm_id}", {"fields": {crm_field: value}})
        except RuntimeError as error:  # converted, deleted, merged away: not a write
            self._count("sf edit", ok=False)
            entity.note(f"sf edit {name} on {crm_id} refused: {str(error)[:120]}")
            return
        entity.record(name, SF, value, f"sf edit {object_name} {crm_id}")
        self._count("sf edit")

    def sf_unrelated_edit(self, entity: Entity) -> None:
        """An edit of a field leadbridge does not map: moves the record's LastModifiedDate."""
        record = self.crm_record(entity)
        if record is None:
            return
        object_name, crm_id = record
        try:
            body = {"fields": {"MobilePhone": f"+1 555 {self._next():04d}"}}
            self._rep("PATCH", f"/records/{object_name}/{crm_id}", body)
        except RuntimeError:
            self._count("sf unrelated edit", ok=False)
            return
        entity.note(f"sf edit of an unmapped field on {crm_id}")
        self._count("sf unrelated edit")

    def sf_convert(self, entity: Entity) -> None:
        record = self.crm_record(entity)
        if record is None or record[0] != "Lead":
            return
        try:
            body = {"leadId": record[1], "doNotCreateOpportunity": True}
            converted = self._rep("POST", "/convert", body)
        except RuntimeError as error:
            self._count("sf convert", ok=False)
            entity.note(f"convert refused: {str(error)[:120]}")
            return
        entity.crm_object, entity.crm_id = "Contact", str(converted["contactId"])
        entity.note(f"lead {record[1]} converted to contact {entity.crm_id}")
        self._count("sf convert")

    def sf_merge(self, entity: Entity) -> None:
        """A rep merges a stray lead into the prospect's lead (the prospect's lead survives)."""
        record = self.crm_record(entity)
        if record is None or record[0] != "Lead":
            return
        try:
            stray = self._rep(
                "POST",
                "/records/Lead",
                {
                    "fields": {
                        "LastName": "Stray",
                        "Company": "Stray Co",
                        "Email": self._new_email("stray"),
                    }
                },
            )
            body = {"type": "Lead", "masterId": record[1], "mergeIds": [stray["id"]]}
            self._rep("POST", "/merge", body)
        except RuntimeError as error:
            self._count("sf merge", ok=False)
            entity.note(f"merge refused: {str(error)[:120]}")
            return
        entity.note(f"stray lead {stray['id']} merged into {record[1]}")
        self._count("sf merge")

    def sf_delete(self, entity: Entity) -> None:
        record = self.crm_record(entity)
        if record is None:
            return
        try:
            self._rep("DELETE", f"/records/{record[0]}/{record[1]}", {})
        except RuntimeError as error:
            self._count("sf delete", ok=False)
            entity.note(f"delete refused: {str(error)[:120]}")
            return
        entity.deleted_in_sf = True
        entity.note(f"{record[0]} {record[1]} deleted in Salesforce")
        self._count("sf delete")
