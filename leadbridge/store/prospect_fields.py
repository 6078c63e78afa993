"""Which fields a prospect has (defaults plus the custom ones defined now), and checking a
mapping of field name → raw value against them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.emails import validate_email
from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store.models import CustomFieldRow, MarketingCampaignRow
from leadbridge.store.values import DEFAULT_SPECS, FieldSpec, checker


class FieldCatalog:
    """The fields as they are now, with a checker per field built once (bulk loads check
    millions of values)."""

    def __init__(self, specs: Mapping[str, FieldSpec], custom_ids: Mapping[str, int]) -> None:
        self.specs = specs
        self.custom_ids = custom_ids  # custom field name → custom_fields.id
        self._strict = {name: checker(spec) for name, spec in specs.items()}
        # Salesforce is the truth for its picklists' values: what it sends skips the option
        # check.
        self._lenient = {name: checker(spec, check_options=False) for name, spec in specs.items()}

    @classmethod
    def load(cls, session: Session) -> FieldCatalog:
        specs = dict(DEFAULT_SPECS)
        custom_ids: dict[str, int] = {}
        for row in session.scalars(select(CustomFieldRow)):
            specs[row.name] = FieldSpec(row.name, row.type, options=tuple(row.options))
            custom_ids[row.name] = row.id
        return cls(specs, custom_ids)

    def is_custom(self, name: str) -> bool:
        return name in self.custom_ids

    def check(self, values: Mapping[str, Any], *, origin: Origin) -> dict[str, Any]:
        """The values as they will be stored; InputError names the first bad field."""
        checkers = self._lenient if origin is Origin.SALESFORCE else self._strict
        checked: dict[str, Any] = {}
        for name, raw in values.items():
            check = checkers.get(name)
            if check is None:
                raise InputError("no such prospect field", item=name)
            if name == "email":
                checked[name] = validate_email(raw if isinstance(raw, str) else "")
            else:
                checked[name] = check(raw)
        return checked


def campaign_id(session: Session, name: str | None) -> int | None:
    """The marketing campaign called `name` (InputError when there is none)."""
    if name is None:
        return None
    found = session.scalar(select(MarketingCampaignRow.id).where(MarketingCampaignRow.name == name))
    if found is None:
        raise InputError(f"no marketing campaign named {name!r}", item="marketing_campaign")
    return found
