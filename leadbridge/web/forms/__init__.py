"""Form handlers: the list, their definitions, the snippet for a website, recent posts."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area("forms", "Form handlers", "/forms", Permission.FORMS_VIEW, order=50)
