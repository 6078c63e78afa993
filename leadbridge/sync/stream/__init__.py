"""Salesforce's changes as they happen: Change Data Capture, applied with the pull's rules."""

from leadbridge.sync.stream.apply import StreamApplier, StreamSummary, fold
from leadbridge.sync.stream.runner import ChangeStreamRunner, streaming

__all__ = ["ChangeStreamRunner", "StreamApplier", "StreamSummary", "fold", "streaming"]
