"""The push: prospects go to Salesforce in waves (read, plan, write, record), then campaigns."""

from __future__ import annotations

from leadbridge.sync.push.engine import Guard, Progress, PushEngine
from leadbridge.sync.push.summary import PushSummary

__all__ = ["Guard", "Progress", "PushEngine", "PushSummary"]
