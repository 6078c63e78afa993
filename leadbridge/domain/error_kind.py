"""The kinds of sync error (what to do about one), apart from the rules that assign them, so
that the CLI can name them in its help without loading the push rules."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What to do about a sync error, from the CrmError group of its code."""

    TRANSIENT = "transient"  # retried automatically with backoff
    LIMIT = "limit"  # the API allowance is spent: the run stops
    DATA = "data"  # fix the prospect's data (or Salesforce's rule)
    DUPLICATE = "duplicate"  # a duplicate in Salesforce
    GONE = "gone"  # the Salesforce record is gone
    PERMISSION = "permission"  # the connector user, or an owner, may not do this
    CONFIGURATION = "configuration"  # leadbridge or the org is set up wrongly
