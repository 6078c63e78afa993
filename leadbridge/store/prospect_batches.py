"""Prospects by id, many at a time (chunked IN queries), for engines that work on a batch."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_loading import load_by


def prospects_by_ids(session: Session, ids: Iterable[int], *, lock: bool = False) -> list[Prospect]:
    """The prospects with these ids (live and recycled), in id order; unknown ids are left
    out. `lock`: their rows are held until the transaction ends, taken in id order as they are
    read (`lock_prospects` and the read in one query; SQLite needs no lock)."""
    if lock and session.get_bind().dialect.name == "postgresql":
        found = load_by(session, ProspectRow.id, sorted(set(ids)), for_update=True)
        return sorted(found, key=lambda prospect: prospect.id)
    found = load_by(session, ProspectRow.id, dict.fromkeys(ids))
    return sorted(found, key=lambda prospect: prospect.id)
