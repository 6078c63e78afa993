"""The marketing database's tables as typed SQLAlchemy models (one metadata: `Base.metadata`).

A name imported from here loads only its own module (and the modules of the tables its foreign
keys point at, which each model module imports): `leadbridge users list` does not build the
forty-odd model classes it never touches. `Base` from here is the whole schema: it loads
every model first (Alembic's env.py and the schema tests compare `Base.metadata`)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadbridge.store.models.accounts import (
        ApiKeyRow,
        SettingsChangeRow,
        SignInFailureRow,
        WebSessionRow,
    )
    from leadbridge.store.models.automation import (
        AutomationRuleRow,
        FormHandlerRow,
        FormPostRow,
        FormSubmissionRow,
        RuleMatchRow,
        UserGroupMemberRow,
        UserGroupRow,
    )
    from leadbridge.store.models.base import Base
    from leadbridge.store.models.connector import (
        AuthFlow,
        ChangeStreamRow,
        ConnectorRow,
        ConnectorSecretRow,
        CrmSchemaRow,
        Edition,
        SyncCursorRow,
    )
    from leadbridge.store.models.crm import (
        CrmAccountRow,
        CrmCampaignMemberRow,
        CrmCampaignRow,
        CrmContactRoleRow,
        CrmOpportunityRow,
        CustomObjectRecordRow,
        CustomObjectTypeRow,
    )
    from leadbridge.store.models.fields import (
        AccountFieldMappingRow,
        CustomFieldRow,
        FieldMappingRow,
    )
    from leadbridge.store.models.imports import ImportRunRow, ImportRunRowRow
    from leadbridge.store.models.jobs import ImportChunkRow, RuleRunRow, RuleRunSliceRow
    from leadbridge.store.models.prospects import (
        LIVE,
        RECYCLED,
        MarketingCampaignRow,
        ProspectRow,
        ProspectValueRow,
    )
    from leadbridge.store.models.push import (
        CampaignRequestRow,
        CampaignRequestState,
        CrmAssignmentRequestRow,
        CrmSentValuesRow,
        CrmSyncStateRow,
        ProspectCrmKeyRow,
    )
    from leadbridge.store.models.send_to import SendToResultRow
    from leadbridge.store.models.sync import AuditRow, OutboxRow, SyncErrorRow, SyncLeaseRow
    from leadbridge.store.models.users import CrmUserLinkRow, UserRole, UserRow

MODULES = (
    "leadbridge.store.models.accounts",
    "leadbridge.store.models.automation",
    "leadbridge.store.models.connector",
    "leadbridge.store.models.crm",
    "leadbridge.store.models.fields",
    "leadbridge.store.models.imports",
    "leadbridge.store.models.jobs",
    "leadbridge.store.models.prospects",
    "leadbridge.store.models.push",
    "leadbridge.store.models.send_to",
    "leadbridge.store.models.sync",
    "leadbridge.store.models.users",
)

_HOMES = {
    "ApiKeyRow": "leadbridge.store.models.accounts",
    "SettingsChangeRow": "leadbridge.store.models.accounts",
    "SignInFailureRow": "leadbridge.store.models.accounts",
    "WebSessionRow": "leadbridge.store.models.accounts",
    "AutomationRuleRow": "leadbridge.store.models.automation",
    "FormHandlerRow": "leadbridge.store.models.automation",
    "FormPostRow": "leadbridge.store.models.automation",
    "FormSubmissionRow": "leadbridge.store.models.automation",
    "RuleMatchRow": "leadbridge.store.models.automation",
    "UserGroupMemberRow": "leadbridge.store.models.automation",
    "UserGroupRow": "leadbridge.store.models.automation",
    "AuthFlow": "leadbridge.store.models.connector",
    "ChangeStreamRow": "leadbridge.store.models.connector",
    "ConnectorRow": "leadbridge.store.models.connector",
    "ConnectorSecretRow": "leadbridge.store.models.connector",
    "CrmSchemaRow": "leadbridge.store.models.connector",
    "Edition": "leadbridge.store.models.connector",
    "SyncCursorRow": "leadbridge.store.models.connector",
    "CrmAccountRow": "leadbridge.store.models.crm",
    "CrmCampaignMemberRow": "leadbridge.store.models.crm",
    "CrmCampaignRow": "leadbridge.store.models.crm",
    "CrmContactRoleRow": "leadbridge.store.models.crm",
    "CrmOpportunityRow": "leadbridge.store.models.crm",
    "CustomObjectRecordRow": "leadbridge.store.models.crm",
    "CustomObjectTypeRow": "leadbridge.store.models.crm",
    "AccountFieldMappingRow": "leadbridge.store.models.fields",
    "CustomFieldRow": "leadbridge.store.models.fields",
    "FieldMappingRow": "leadbridge.store.models.fields",
    "ImportRunRow": "leadbridge.store.models.imports",
    "ImportRunRowRow": "leadbridge.store.models.imports",
    "ImportChunkRow": "leadbridge.store.models.jobs",
    "RuleRunRow": "leadbridge.store.models.jobs",
    "RuleRunSliceRow": "leadbridge.store.models.jobs",
    "LIVE": "leadbridge.store.models.prospects",
    "RECYCLED": "leadbridge.store.models.prospects",
    "MarketingCampaignRow": "leadbridge.store.models.prospects",
    "ProspectRow": "leadbridge.store.models.prospects",
    "ProspectValueRow": "leadbridge.store.models.prospects",
    "CampaignRequestRow": "leadbridge.store.models.push",
    "CampaignRequestState": "leadbridge.store.models.push",
    "CrmAssignmentRequestRow": "leadbridge.store.models.push",
    "CrmSentValuesRow": "leadbridge.store.models.push",
    "CrmSyncStateRow": "leadbridge.store.models.push",
    "ProspectCrmKeyRow": "leadbridge.store.models.push",
    "SendToResultRow": "leadbridge.store.models.send_to",
    "AuditRow": "leadbridge.store.models.sync",
    "OutboxRow": "leadbridge.store.models.sync",
    "SyncErrorRow": "leadbridge.store.models.sync",
    "SyncLeaseRow": "leadbridge.store.models.sync",
    "CrmUserLinkRow": "leadbridge.store.models.users",
    "UserRole": "leadbridge.store.models.users",
    "UserRow": "leadbridge.store.models.users",
}

__all__ = [
    "LIVE",
    "RECYCLED",
    "AccountFieldMappingRow",
    "ApiKeyRow",
    "AuditRow",
    "AuthFlow",
    "AutomationRuleRow",
    "Base",
    "CampaignRequestRow",
    "CampaignRequestState",
    "ChangeStreamRow",
    "ConnectorRow",
    "ConnectorSecretRow",
    "CrmAccountRow",
    "CrmAssignmentRequestRow",
    "CrmCampaignMemberRow",
    "CrmCampaignRow",
    "CrmContactRoleRow",
    "CrmOpportunityRow",
    "CrmSchemaRow",
    "CrmSentValuesRow",
    "CrmSyncStateRow",
    "CrmUserLinkRow",
    "CustomFieldRow",
    "CustomObjectRecordRow",
    "CustomObjectTypeRow",
    "Edition",
    "FieldMappingRow",
    "FormHandlerRow",
    "FormPostRow",
    "FormSubmissionRow",
    "ImportChunkRow",
    "ImportRunRow",
    "ImportRunRowRow",
    "MarketingCampaignRow",
    "OutboxRow",
    "ProspectCrmKeyRow",
    "ProspectRow",
    "ProspectValueRow",
    "RuleMatchRow",
    "RuleRunRow",
    "RuleRunSliceRow",
    "SendToResultRow",
    "SettingsChangeRow",
    "SignInFailureRow",
    "SyncCursorRow",
    "SyncErrorRow",
    "SyncLeaseRow",
    "UserGroupMemberRow",
    "UserGroupRow",
    "UserRole",
    "UserRow",
    "WebSessionRow",
]


def load_all() -> None:
    """Import every model module: `Base.metadata` then holds the whole schema."""
    for module in MODULES:
        import_module(module)


def __getattr__(name: str) -> Any:
    """Each name imported from its module on first use (PEP 562); `Base` with every model."""
    if name == "Base":
        load_all()
        home = "leadbridge.store.models.base"
    else:
        found = _HOMES.get(name)
        if found is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        home = found
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
