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
