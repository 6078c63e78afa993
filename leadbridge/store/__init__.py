"""The marketing database: SQLAlchemy models, Alembic migrations and repositories.

Open it with `open_database(url)`; each `db.session()` block is one transaction, in which
repositories are built from the session (and a Clock where they stamp times):

    db = open_database("sqlite:///.leadbridge/leadbridge.sqlite3")
    with db.session() as session:
        prospects = ProspectRepository(session, SystemClock())
        prospect = prospects.add({"email": "ada@example.com"}, origin=Origin.USER, actor="ada")

Repositories return frozen snapshots, never ORM objects. Nothing connects at import time.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadbridge.store.audit import AuditEntry, AuditRepository
    from leadbridge.store.campaigns import MarketingCampaign, MarketingCampaignRepository
    from leadbridge.store.connector import (
        ConnectorConfig,
        ConnectorRepository,
        ConnectorSecrets,
    )
    from leadbridge.store.connector_settings import ConnectorSettings
    from leadbridge.store.custom_fields import CustomField, CustomFieldRepository
    from leadbridge.store.database import DEFAULT_URL, Database, open_database
    from leadbridge.store.field_mappings import (
        AccountFieldMapping,
        FieldMapping,
        FieldMappingRepository,
    )
    from leadbridge.store.models import AuthFlow, Edition, UserRole
    from leadbridge.store.outbox import PUSH, OutboxItem, OutboxRepository
    from leadbridge.store.prospect import Prospect
    from leadbridge.store.prospects import ProspectRepository
    from leadbridge.store.secret_box import Secret, SecretBox
    from leadbridge.store.sync_errors import SyncError, SyncErrorRepository
    from leadbridge.store.users import User, UserRepository

# The names below load their module when first used: a command that reads prospects does not
# pay for every repository (and cryptography, and all the models) at start-up.
_HOMES = {
    "AuditEntry": "leadbridge.store.audit",
    "AuditRepository": "leadbridge.store.audit",
    "MarketingCampaign": "leadbridge.store.campaigns",
    "MarketingCampaignRepository": "leadbridge.store.campaigns",
    "ConnectorConfig": "leadbridge.store.connector",
    "ConnectorRepository": "leadbridge.store.connector",
    "ConnectorSecrets": "leadbridge.store.connector",
    "ConnectorSettings": "leadbridge.store.connector_settings",
    "CustomField": "leadbridge.store.custom_fields",
    "CustomFieldRepository": "leadbridge.store.custom_fields",
    "DEFAULT_URL": "leadbridge.store.database",
    "Database": "leadbridge.store.database",
    "open_database": "leadbridge.store.database",
    "AccountFieldMapping": "leadbridge.store.field_mappings",
    "FieldMapping": "leadbridge.store.field_mappings",
    "FieldMappingRepository": "leadbridge.store.field_mappings",
    "AuthFlow": "leadbridge.store.models",
    "Edition": "leadbridge.store.models",
    "UserRole": "leadbridge.store.models",
    "PUSH": "leadbridge.store.outbox",
    "OutboxItem": "leadbridge.store.outbox",
    "OutboxRepository": "leadbridge.store.outbox",
    "Prospect": "leadbridge.store.prospect",
    "ProspectRepository": "leadbridge.store.prospects",
    "Secret": "leadbridge.store.secret_box",
    "SecretBox": "leadbridge.store.secret_box",
    "SyncError": "leadbridge.store.sync_errors",
    "SyncErrorRepository": "leadbridge.store.sync_errors",
    "User": "leadbridge.store.users",
    "UserRepository": "leadbridge.store.users",
}

__all__ = [
    "DEFAULT_URL",
    "PUSH",
    "AccountFieldMapping",
    "AuditEntry",
    "AuditRepository",
    "AuthFlow",
    "ConnectorConfig",
    "ConnectorRepository",
    "ConnectorSecrets",
    "ConnectorSettings",
    "CustomField",
    "CustomFieldRepository",
    "Database",
    "Edition",
    "FieldMapping",
    "FieldMappingRepository",
    "MarketingCampaign",
    "MarketingCampaignRepository",
    "OutboxItem",
    "OutboxRepository",
    "Prospect",
    "ProspectRepository",
    "Secret",
    "SecretBox",
    "SyncError",
    "SyncErrorRepository",
    "User",
    "UserRepository",
    "UserRole",
    "open_database",
]


def __getattr__(name: str) -> Any:
    """Each name imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
