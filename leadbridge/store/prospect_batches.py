"""Prospects by id, many at a time (chunked IN queries), for engines that work on a batch."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from leadbridge.store.models import ProspectRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_loading import load_by


def prospects_by_ids(session: Session, ids: Iterable[int]) -> list[Prospect]:
    """The prospects with these ids (live and recycled), in id order; unknown ids are left
    out."""
    found = load_by(session, ProspectRow.id, dict.fromkeys(ids))
    return sorted(found, key=lambda prospect: prospect.id)
