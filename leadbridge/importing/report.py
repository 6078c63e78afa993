"""What an import did, even when it stopped midway: every row of the file is in the report,
as written (created, updated, …), skipped (bad row), or not written (the import stopped
before its batch was committed), and `stopped` says where and why."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from leadbridge.errors import CrmError, CrmTransientError, LeadbridgeError
from leadbridge.sync.intake import (
    CREATED,
    LINKED,
    RESTORED,
    UNCHANGED,
    UPDATED,
    IntakeSummary,
)

NOT_WRITTEN = "not written"
INTERRUPTED = "interrupted"
INTERNAL_ERROR = "internal_error"
WRITTEN = frozenset({CREATED, UPDATED, LINKED, RESTORED, UNCHANGED})
log = logging.getLogger("leadbridge.importing")


@dataclass(frozen=True)
class Stop:
    """Where an import stopped: the first line not written, and why (never a secret)."""

    line: int
    code: str  # Salesforce's errorCode, "interrupted" or "internal_error"
    cause: str
    salesforce: bool  # Salesforce failed (down, allowance spent, said no)
    retryable: bool  # running the file again later should go through

    @classmethod
    def of(cls, line: int, error: BaseException) -> Stop:
        """The stop an exception caused; unexpected ones are logged with their traceback and
        named by type only (their text may hold anything)."""
        if isinstance(error, KeyboardInterrupt):
            return cls(line, INTERRUPTED, "interrupted (Ctrl-C)", False, True)
        if isinstance(error, CrmError):
            transient = isinstance(error, CrmTransientError)
            return cls(line, error.error_code, str(error), True, transient)
        if isinstance(error, LeadbridgeError):
            return cls(line, type(error).__name__, str(error), False, False)
        log.error("import stopped at line %d by an unexpected error", line, exc_info=error)
        cause = f"unexpected error ({type(error).__name__}); the details are in the log"
        return cls(line, INTERNAL_ERROR, cause, False, False)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportSummary(IntakeSummary):
    """An intake summary whose `stopped` is set when the import did not get to the end."""

    stopped: Stop | None = None

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def written(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status in WRITTEN)

    def as_dict(self) -> dict[str, Any]:
        return {
            **super().as_dict(),
            "complete": self.complete,
            "stopped": None if self.stopped is None else self.stopped.as_dict(),
        }
