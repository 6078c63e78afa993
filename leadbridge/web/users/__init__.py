"""Users: leadbridge users ↔ Salesforce users, roles, activation, and everyone's API keys."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area("users", "Users", "/users", Permission.USERS_MANAGE, order=720, section="Admin")
