"""Reading one wave of prospects to push from the store, with everything the rules need:
values and change times, the push facts, the upsert key, the agreed values, the owner.

Everything is read in a few batched queries per wave, never one per prospect. The upsert
keys are written here, in a transaction that commits before anything is sent, so a create
retried after a crash carries the same key. Values sent by a push whose outcome was never
recorded come with the agreed values (under `push_record.SENT`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadbridge.domain.push import PushFacts, user_not_mapped_message
from leadbridge.domain.push_record import SENT, ProspectValues
from leadbridge.ports import Clock
from leadbridge.store.assignment_requests import AssignmentRequestRepository
from leadbridge.store.outbox import OutboxItem
from leadbridge.store.prospect import Prospect
from leadbridge.store.sync_state import SyncStateRepository
from leadbridge.store.users import User, UserRepository
from leadbridge.sync.config import PushConfig


@dataclass(frozen=True)
class Candidate:
    """One prospect of a wave and what decides its push."""

    prospect: Prospect
    item_ids: tuple[int, ...]  # its pending "push" outbox items
    facts: PushFacts
    values: ProspectValues
    key: str | None = None  # LeadBridge_Prospect_Id__c value (unlinked prospects)
    agreed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by object
    owner_id: str | None = None  # the assigned user's Salesforce user
    attempts: int = 0  # failed attempts so far (for the retry backoff)
    rule_assignment: bool = False  # Salesforce's lead assignment rule is to pick the owner


def load_wave(
    session: Any,
    clock: Clock,
    config: PushConfig,
    items: Mapping[int, Sequence[OutboxItem]],
    *,
    manual: bool,
) -> list[Candidate]:
    """The candidates for these prospect ids (→ their pending outbox items), in id order;
    prospects that no longer exist are left out."""
    ids = sorted(items)
    state = SyncStateRepository(session, clock)
    prospects = state.prospects(ids)
    fields = {rule.field for rules in config.rules.values() for rule in rules}
    changes = state.last_changes(ids, fields)
    agreed = with_sent(state.agreed(ids), state.sent(ids))
    users = _users(session, {p.assigned_user_id for p in prospects.values()})
    by_rule = AssignmentRequestRepository(session, clock).pending(ids)
    unlinked = [
        p.id
        for p in prospects.values()
        if p.crm_id is None and _may_create(p, rule_assignment=p.id in by_rule)
    ]
    keys = state.keys(unlinked) if config.key_field and unlinked else {}
    candidates = []
    for prospect_id in ids:
        prospect = prospects.get(prospect_id)
        if prospect is None:
            continue
        user = users.get(prospect.assigned_user_id)
        facts = PushFacts(
            assigned=prospect.assigned_user_id is not None,
            linked=prospect.crm_id is not None,
            do_not_sync=prospect.do_not_sync,
            recycled=prospect.recycled,
            deleted_in_crm=prospect.deleted_in_crm,
            paused=config.paused,
            manual=manual,
            assigned_user=None if user is None else user.email,
            assigned_user_mapped=user is not None and user.crm_user_id is not None,
            rule_assignment=prospect_id in by_rule,
        )
        values = ProspectValues(
            email=prospect.email,
            values={name: prospect.value(name) for name in fields},
            changed_at=changes.get(prospect_id, {}),
            updated_at=prospect.updated_at,
        )
        pending = items[prospect_id]
        candidates.append(
            Candidate(
                prospect,
                tuple(item.id for item in pending),
                facts,
                values,
                keys.get(prospect_id),
                {name: agreed.get((prospect_id, name), {}) for name in config.objects},
                None if user is None else user.crm_user_id,
                max((item.attempts for item in pending), default=0),
                prospect_id in by_rule,
            )
        )
    return candidates


def with_sent(
    agreed: Mapping[tuple[int, str], Mapping[str, Any]],
    sent: Mapping[tuple[int, str], Mapping[str, Any]],
) -> dict[tuple[int, str], dict[str, Any]]:
    """Each record's sync state as the rules read it: agreed values, plus SENT."""
    states = {key: dict(values) for key, values in agreed.items()}
    for key, values in sent.items():
        states.setdefault(key, {})[SENT] = dict(values)
    return states


def owner_problem(candidate: Candidate) -> str | None:
    """Why a new lead for this candidate would have no owner (None: it has one, or
    Salesforce's assignment rule picks it)."""
    if candidate.owner_id is not None or candidate.rule_assignment:
        return None
    return user_not_mapped_message(candidate.facts.assigned_user)


def _may_create(prospect: Prospect, *, rule_assignment: bool = False) -> bool:
    """Whether a new lead could be made for it (only those get an upsert key)."""
    owned = prospect.assigned_user_id is not None or rule_assignment
    live = not prospect.recycled and not prospect.do_not_sync
    return owned and live and not prospect.deleted_in_crm


def _users(session: Any, user_ids: set[int | None]) -> dict[int | None, User]:
    repo = UserRepository(session)
    return {user_id: repo.get(user_id) for user_id in user_ids if user_id is not None}
