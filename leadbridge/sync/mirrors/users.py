"""The users poll: new and deactivated Salesforce users show up in the user mapping, and the
org's queues (the owners that are no users) are read again for their names.

The same matching as `leadbridge users sync` without --create (`store.user_matching`).
Two calls (users, queues), at most every `USERS_POLL_HOURS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadbridge.ports import Clock, CrmClient, CrmUser
from leadbridge.store.database import Database
from leadbridge.store.queues import record_queues
from leadbridge.store.user_matching import match_crm_users
from leadbridge.store.users import UserRepository
from leadbridge.sync.mirrors.summary import UserChanges

USERS_POLL_HOURS = 24


def users_due(last_poll: datetime | None, now: datetime, hours: int = USERS_POLL_HOURS) -> bool:
    return last_poll is None or now - last_poll >= timedelta(hours=hours)


def _entry(user: CrmUser) -> dict[str, str]:
    return {"email": user.email, "crm_username": user.username, "name": user.name}


def poll_users(db: Database, crm: CrmClient, clock: Clock) -> UserChanges:
    crm_users = crm.users(active_only=False)
    queues = crm.queues()
    with db.session() as session:
        record_queues(session, queues, clock.now())
        match = match_crm_users(UserRepository(session), crm_users)
    return UserChanges(
        polled=True,
        mapped=[_entry(user) for user in match.matched],
        unmatched=[_entry(user) for user in match.unmatched],
        deactivated=[{**_entry(user), "user": local.email} for user, local in match.deactivated],
        conflicts=match.conflicts,
    )
