"""Both sides after quiescence, and the three counts: duplicates, lost changes, records that
never converge."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bench.soak.oracle import Entity, Tracked
from bench.soak.org import SoakOrg
from leadbridge.store import Database
from leadbridge.store.models.prospects import ProspectRow
from leadbridge.store.models.sync import OutboxRow

DUPLICATE = "duplicate"
LOST = "lost change"
NOT_CONVERGED = "never converged"


@dataclass(frozen=True)
class LbProspect:
    id: int
    email_key: str
    recycled: bool
    deleted_in_crm: bool
    lead_id: str | None
    contact_id: str | None
    values: tuple[Any, ...]  # TRACKED order


@dataclass(frozen=True)
class SfRecord:
    object_name: str
    id: str
    email_key: str
    values: tuple[Any, ...]  # TRACKED order


@dataclass(frozen=True)
class Snapshot:
    prospects: tuple[LbProspect, ...]
    records: tuple[SfRecord, ...]  # live contacts and unconverted leads
    pending: int  # outbox items not done


@dataclass(frozen=True)
class Finding:
    kind: str  # DUPLICATE, LOST or NOT_CONVERGED
    email: str
    what: str
    history: tuple[str, ...] = ()


def snapshot(org: SoakOrg, db: Database, tracked: tuple[Tracked, ...]) -> Snapshot:
    with db.session(readonly=True) as session:
        prospects = tuple(
            LbProspect(
                row.id,
                row.email_key,
                row.recycled,
                row.deleted_in_crm,
                row.crm_lead_id,
                row.crm_contact_id,
                tuple(_norm(t.field, getattr(row, t.field)) for t in tracked),
            )
            for row in session.scalars(select(ProspectRow).order_by(ProspectRow.id))
        )
        pending = session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.done_at.is_(None))
        )
    records: list[SfRecord] = []
    for object_name, where in (("Lead", "IsConverted = false"), ("Contact", None)):
        names = [t.lead_field if object_name == "Lead" else t.contact_field for t in tracked]
        fields = ", ".join(names)
        soql = f"SELECT Id, Email, {fields} FROM {object_name}"
        if where:
            soql += f" WHERE {where}"
        for raw in org.query(soql + " ORDER BY Id"):
            records.append(
                SfRecord(
                    object_name,
                    str(raw["Id"]),
                    str(raw.get("Email") or "").lower(),
                    tuple(
                        _norm(t.field, raw.get(name))
                        for t, name in zip(tracked, names, strict=True)
                    ),
                )
            )
    return Snapshot(prospects, tuple(records), int(pending or 0))


def _norm(field: str, value: Any) -> Any:
    if field == "score":
        return float(value or 0)
    if value is None or value == "":
        return None
    return str(value)


def compare(
    entities: dict[str, Entity],
    final: Snapshot,
    tracked: tuple[Tracked, ...],
    *,
    quiescent: bool,
) -> list[Finding]:
    findings: list[Finding] = []
    live_prospects: dict[str, list[LbProspect]] = defaultdict(list)
    all_prospects: dict[str, list[LbProspect]] = defaultdict(list)
    for prospect in final.prospects:
        all_prospects[prospect.email_key].append(prospect)
        if not prospect.recycled:
            live_prospects[prospect.email_key].append(prospect)
    records: dict[str, list[SfRecord]] = defaultdict(list)
    for record in final.records:
        if record.email_key:
            records[record.email_key].append(record)
    for key, found in live_prospects.items():
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            findings.append(Finding(DUPLICATE, key, f"{len(found)} live prospects ({ids})"))
    for key in live_prospects:
        if len(records[key]) > 1:
            ids = ", ".join(f"{r.object_name} {r.id}" for r in records[key])
            history = tuple(entities[key].history) if key in entities else ()
            findings.append(
                Finding(DUPLICATE, key, f"{len(records[key])} live records: {ids}", history)
            )
    if not quiescent:
        findings.append(Finding(NOT_CONVERGED, "-", "no quiescence: cycles kept changing things"))
    for key, entity in entities.items():
        findings.extend(
            _entity(entity, live_prospects[key], all_prospects[key], records[key], tracked)
        )
    return findings


def _entity(
    entity: Entity,
    live: list[LbProspect],
    every: list[LbProspect],
    records: list[SfRecord],
    tracked_fields: tuple[Tracked, ...],
) -> list[Finding]:
    history = tuple(entity.history)

    def finding(kind: str, what: str) -> Finding:
        return Finding(kind, entity.email, what, history)

    if not entity.in_leadbridge or entity.deleted_in_lb:
        return []
    if entity.deleted_in_sf:
        if live:
            return [finding(NOT_CONVERGED, "deleted in Salesforce, still live in leadbridge")]
        return []
    if not live:
        state = "recycled" if every else "missing"
        return [finding(NOT_CONVERGED, f"the prospect is {state} in leadbridge")]
    prospect = live[0]
    if not records:
        return [finding(NOT_CONVERGED, "no live Salesforce record has the prospect's email")]
    linked = prospect.contact_id or prospect.lead_id
    record = next((r for r in records if r.id == linked), None)
    if record is None:
        ids = ", ".join(f"{r.object_name} {r.id}" for r in records)
        return [finding(NOT_CONVERGED, f"linked to {linked}, but the email is on {ids}")]
    found: list[Finding] = []
    for index, tracked in enumerate(tracked_fields):
        ours, theirs = prospect.values[index], record.values[index]
        if ours != theirs:
            found.append(
                finding(
                    NOT_CONVERGED, f"{tracked.field}: leadbridge {ours!r} ≠ Salesforce {theirs!r}"
                )
            )
            continue
        expected = entity.expected(tracked.field)
        if expected is None or _norm(tracked.field, expected.value) == ours:
            continue
        found.append(
            finding(
                LOST,
                f"{tracked.field} ({tracked.behaviour}): both hold {ours!r}, but the "
                f"{expected.side} write {expected.value!r} ({expected.how}) should have won",
            )
        )
    return found
