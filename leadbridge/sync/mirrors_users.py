"""The users poll: new and deactivated Salesforce users show up in the user mapping.

Like `leadbridge users sync` (without --create): an active Salesforce user with no mapping is
mapped to the leadbridge user with its email, else listed as unmatched. A mapped Salesforce
user that is now inactive is reported as deactivated; the mapping is kept (prospects stay
assigned) so an admin can reassign them. One call, at most every `USERS_POLL_HOURS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadbridge.errors import ConflictError
from leadbridge.ports import CrmClient, CrmUser
from leadbridge.store.database import Database
from leadbridge.store.users import UserRepository
from leadbridge.sync.mirrors_summary import UserChanges

USERS_POLL_HOURS = 24


def users_due(last_poll: datetime | None, now: datetime, hours: int = USERS_POLL_HOURS) -> bool:
    return last_poll is None or now - last_poll >= timedelta(hours=hours)


def _entry(user: CrmUser) -> dict[str, str]:
    return {"email": user.email, "crm_username": user.username, "name": user.name}


def poll_users(db: Database, crm: CrmClient) -> UserChanges:
    changes = UserChanges(polled=True)
    crm_users = crm.users(active_only=False)
    with db.session() as session:
        users = UserRepository(session)
        for crm_user in sorted(crm_users, key=lambda u: u.username.lower()):
            mapped = users.by_crm_user_id(crm_user.id)
            if mapped is not None:
                if not crm_user.active:
                    changes.deactivated.append({**_entry(crm_user), "user": mapped.email})
                continue
            if not crm_user.active:
                continue
            local = users.by_email(crm_user.email)
            if local is None or local.crm_user_id:
                changes.unmatched.append(_entry(crm_user))
                continue
            try:
                users.map_crm_user(local.id, crm_user.id, crm_user.username)
            except ConflictError:
                changes.unmatched.append(_entry(crm_user))
                continue
            changes.mapped.append(_entry(crm_user))
    return changes
