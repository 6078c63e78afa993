"""Salesforce's values applied to many prospects at once (the pull's hot path).

The same effect as `ProspectRepository.update(..., origin=Origin.SALESFORCE)` per prospect
(checked values, one audit row per field that really changes, no outbox push item), but
with the field catalog read once, the rows loaded in chunked IN queries and one flush.
Email changes are not taken here (they need the uniqueness check: use `update`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError, LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.audit import AuditRepository
from leadbridge.store.chunks import chunked
from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_fields import FieldCatalog, campaign_id
from leadbridge.store.prospect_writes import set_custom_value
from leadbridge.store.values import to_text


def apply_crm_values(
    session: Session,
    clock: Clock,
    changes: Mapping[int, tuple[Prospect, Mapping[str, Any]]],
    *,
    actor: str | None,
) -> tuple[dict[int, int], dict[int, LeadbridgeError]]:
    """Apply prospect id → (the prospect as read, field → value). Returns how many fields
    changed per prospect, and the prospects whose values were refused (nothing written)."""
    catalog = FieldCatalog.load(session)
    audit = AuditRepository(session)
    now = clock.now()
    written: dict[int, int] = {}
    refused: dict[int, LeadbridgeError] = {}
    for chunk in chunked(list(changes)):
        rows = session.scalars(select(ProspectRow).where(ProspectRow.id.in_(chunk)))
        for row in rows:
            before, wanted = changes[row.id]
            if "email" in wanted:
                refused[row.id] = InputError("email changes go through update", item="email")
                continue
            try:
                checked = catalog.check(wanted, origin=Origin.SALESFORCE)
            except LeadbridgeError as error:
                refused[row.id] = error
                continue
            changed = {n: v for n, v in checked.items() if before.value(n) != v}
            for name, value in changed.items():
                if catalog.is_custom(name):
                    set_custom_value(session, row.id, catalog.custom_ids[name], value)
                elif name == "marketing_campaign":
                    row.marketing_campaign_id = campaign_id(session, value)
                else:
                    setattr(row, name, value)
                audit.record(
                    row.id,
                    name,
                    to_text(before.value(name)),
                    to_text(value),
                    at=now,
                    origin=Origin.SALESFORCE,
                    actor=actor,
                )
            if changed:
                row.updated_at = now
                written[row.id] = len(changed)
    session.flush()
    return written, refused
