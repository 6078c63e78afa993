"""leadbridge's own marketing campaigns (one per prospect, as in Pardot)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store.models import MarketingCampaignRow


@dataclass(frozen=True)
class MarketingCampaign:
    id: int
    name: str


class MarketingCampaignRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, name: str) -> MarketingCampaign:
        clean = name.strip()
        if not clean or len(clean) > 255:
            raise InputError("a campaign name is 1 to 255 characters", item="name")
        if self.by_name(clean) is not None:
            raise ConflictError(f"a marketing campaign named {clean!r} already exists")
        row = MarketingCampaignRow(name=clean)
        self.session.add(row)
        self.session.flush()
        return MarketingCampaign(row.id, row.name)

    def get(self, campaign_id: int) -> MarketingCampaign:
        row = self.session.get(MarketingCampaignRow, campaign_id)
        if row is None:
            raise NotFoundError(f"no marketing campaign with id {campaign_id}")
        return MarketingCampaign(row.id, row.name)

    def by_name(self, name: str) -> MarketingCampaign | None:
        row = self.session.scalar(
            select(MarketingCampaignRow).where(MarketingCampaignRow.name == name.strip())
        )
        return None if row is None else MarketingCampaign(row.id, row.name)

    def list(self) -> builtins.list[MarketingCampaign]:
        rows = self.session.scalars(
            select(MarketingCampaignRow).order_by(MarketingCampaignRow.name)
        )
        return [MarketingCampaign(row.id, row.name) for row in rows]
