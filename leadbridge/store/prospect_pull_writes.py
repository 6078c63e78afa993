"""Salesforce's values applied to many prospects at once (the pull's hot path).

The same effect as `ProspectRepository.update(..., origin=Origin.SALESFORCE)` per prospect
(checked values, one audit row per field that really changes, no outbox push item), but
set-based: the field catalog read once, one executemany UPDATE per set of changed columns,
one INSERT of the audit rows.
Email changes are not taken here (they need the uniqueness check: use `update`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError, LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.chunks import chunked
from leadbridge.store.models import AuditRow, ProspectRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_fields import FieldCatalog, campaign_id
from leadbridge.store.prospect_writes import set_custom_value
from leadbridge.store.values import to_text

AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]
PROSPECTS: Table = ProspectRow.__table__  # type: ignore[assignment]


def apply_crm_values(
    session: Session,
    clock: Clock,
    changes: Mapping[int, tuple[Prospect, Mapping[str, Any]]],
    *,
    actor: str | None,
) -> tuple[dict[int, int], dict[int, LeadbridgeError]]:
    """Apply prospect id → (the prospect as read, field → value). Returns how many fields
    changed per prospect, and the prospects whose values were refused (nothing written).

    Set-based: the values are checked in memory, then the prospects' columns are written in
    one executemany UPDATE per set of changed columns and the audit rows in one INSERT;
    only custom values (rare) go through the ORM, row by row."""
    catalog = FieldCatalog.load(session)
    now = clock.now()
    written: dict[int, int] = {}
    refused: dict[int, LeadbridgeError] = {}
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    audit: list[dict[str, Any]] = []
    present = _existing(session, list(changes))
    session.flush()  # earlier ORM changes first: the columns below are written after them
    for pid, (before, wanted) in changes.items():
        if pid not in present:
            continue  # deleted since it was read: nothing to write
        if "email" in wanted:
            refused[pid] = InputError("email changes go through update", item="email")
            continue
        try:
            checked = catalog.check(wanted, origin=Origin.SALESFORCE)
        except LeadbridgeError as error:
            refused[pid] = error
            continue
        changed = {n: v for n, v in checked.items() if before.value(n) != v}
        if not changed:
            continue
        columns: dict[str, Any] = {}
        for name, value in changed.items():
            if catalog.is_custom(name):
                set_custom_value(session, pid, catalog.custom_ids[name], value)
            elif name == "marketing_campaign":
                columns["marketing_campaign_id"] = campaign_id(session, value)
            else:
                columns[name] = value
            audit.append(
                {
                    "prospect_id": pid,
                    "field": name,
                    "old_value": to_text(before.value(name)),
                    "new_value": to_text(value),
                    "at": now,
                    "origin": Origin.SALESFORCE,
                    "actor": actor,
                }
            )
        columns["updated_at"] = now
        updates[tuple(sorted(columns))].append({"_pid": pid, **_params(columns)})
        written[pid] = len(changed)
    for names, rows in updates.items():
        statement = (
            update(PROSPECTS)
            .where(PROSPECTS.c.id == bindparam("_pid"))
            .values({name: bindparam(f"_{name}", type_=PROSPECTS.c[name].type) for name in names})
        )
        for chunk in chunked(rows):
            session.execute(statement, list(chunk))
    for chunk in chunked(audit):
        session.execute(insert(AUDIT), list(chunk))
    session.flush()
    _expire(session, written)
    return written, refused


def _existing(session: Session, prospect_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(prospect_ids):
        found.update(session.scalars(select(PROSPECTS.c.id).where(PROSPECTS.c.id.in_(chunk))))
    return found


def _params(columns: Mapping[str, Any]) -> dict[str, Any]:
    return {f"_{name}": value for name, value in columns.items()}


def _expire(session: Session, prospect_ids: Mapping[int, Any]) -> None:
    """Forget the session's copies of the rows written above (they were written in SQL)."""
    for row in list(session.identity_map.values()):
        if isinstance(row, ProspectRow) and row.id in prospect_ids:
            session.expire(row)
