"""Reading leadbridge users for the CLI and the API, apart from the connector service: listing
users must not load the connector (its Salesforce side, the secret box and cryptography)."""

from __future__ import annotations

from typing import Any

from leadbridge.store.database import Database
from leadbridge.store.users import User, UserRepository


def user_json(user: User) -> dict[str, Any]:
    """A user as the CLI's `--json` and the API show it."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": str(user.role),
        "active": user.active,
        "crm_user_id": user.crm_user_id,
        "crm_username": user.crm_username,
    }


def list_users(db: Database) -> list[dict[str, Any]]:
    """Every leadbridge user, with the Salesforce user mapped to it, if any."""
    with db.session(readonly=True) as session:
        return [user_json(user) for user in UserRepository(session).list()]
