"""Diagnostics: sync errors people can list, retry and export, and `why` a prospect syncs.

Services over the store, one transaction per call; the reasoning behind `why` is pure and
lives in `leadbridge.domain.why`.
"""

from __future__ import annotations

from leadbridge.diagnostics.errors import ErrorCounts, SyncErrorService
from leadbridge.diagnostics.kinds import ErrorKind, kind_of, parse_kind
from leadbridge.diagnostics.retry import RetryReport, Skipped
from leadbridge.diagnostics.views import ErrorView
from leadbridge.diagnostics.why import WhyReport, WhyService

__all__ = [
    "ErrorCounts",
    "ErrorKind",
    "ErrorView",
    "RetryReport",
    "Skipped",
    "SyncErrorService",
    "WhyReport",
    "WhyService",
    "kind_of",
    "parse_kind",
]
