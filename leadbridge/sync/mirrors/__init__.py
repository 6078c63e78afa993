"""The read-only mirrors: Salesforce accounts, opportunities, campaigns, custom objects, users."""

from __future__ import annotations

from leadbridge.sync.mirrors.custom import enable_custom_object
from leadbridge.sync.mirrors.engine import mirror_step
from leadbridge.sync.mirrors.summary import MirrorSummary

__all__ = ["MirrorSummary", "enable_custom_object", "mirror_step"]
