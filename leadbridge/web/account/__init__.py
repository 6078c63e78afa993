"""Your account: who you are signed in as, your password and your API keys."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area(
    "account", "Your account", "/account", Permission.OWN_API_KEYS, order=900, section="You"
)
