"""The pull: Salesforce changes on connected leads and contacts, polled and applied per page."""

from __future__ import annotations

from leadbridge.sync.pull.apply import AfterChanges, PageApplier
from leadbridge.sync.pull.engine import PullEngine
from leadbridge.sync.pull.summary import PullSummary

__all__ = ["AfterChanges", "PageApplier", "PullEngine", "PullSummary"]
