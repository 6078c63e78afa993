"""The marketing database's tables as typed SQLAlchemy models (one metadata: `Base.metadata`)."""

from __future__ import annotations

from leadbridge.store.models.accounts import (
    ApiKeyRow,
    SettingsChangeRow,
    SignInFailureRow,
    WebSessionRow,
)
from leadbridge.store.models.automation import (
    AutomationRuleRow,
    FormHandlerRow,
    FormSubmissionRow,
    RuleMatchRow,
    UserGroupMemberRow,
    UserGroupRow,
)
from leadbridge.store.models.base import Base
from leadbridge.store.models.connector import (
    AuthFlow,
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
from leadbridge.store.models.fields import AccountFieldMappingRow, CustomFieldRow, FieldMappingRow
from leadbridge.store.models.imports import ImportRunRow, ImportRunRowRow
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
    CrmSentValuesRow,
    CrmSyncStateRow,
    ProspectCrmKeyRow,
)
from leadbridge.store.models.send_to import SendToResultRow
from leadbridge.store.models.sync import AuditRow, OutboxRow, SyncErrorRow, SyncLeaseRow
from leadbridge.store.models.users import CrmUserLinkRow, UserRole, UserRow

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
    "ConnectorRow",
    "ConnectorSecretRow",
    "CrmAccountRow",
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
    "FormSubmissionRow",
    "ImportRunRow",
    "ImportRunRowRow",
    "MarketingCampaignRow",
    "OutboxRow",
    "ProspectCrmKeyRow",
    "ProspectRow",
    "ProspectValueRow",
    "RuleMatchRow",
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
