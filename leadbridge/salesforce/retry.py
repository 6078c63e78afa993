"""Retrying transient Salesforce failures with exponential backoff and jitter (tenacity).

Only `CrmError`s whose `retryable` flag is set are retried: CrmTransientError
(SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW, timeouts, 5xx) but not CrmLimitError, since another
call would only spend more of an allowance that is already gone.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from leadbridge.errors import CrmError

from .errors import maybe_applied

T = TypeVar("T")
log = logging.getLogger("leadbridge.salesforce")


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, CrmError) and exc.retryable


def is_safely_retryable(exc: BaseException) -> bool:
    return is_retryable(exc) and not maybe_applied(exc)


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning(
        "Salesforce call failed (%s); retry %d in %.2fs",
        error,
        state.attempt_number,
        wait,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries; waits grow `base`, 2 * base, 4 * base, ... (plus up to `base` of
    jitter), capped at `max` seconds. `sleep` is injectable so tests need not wait."""

    attempts: int = 4
    base: float = 0.5
    max: float = 8.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def wait(self, state: RetryCallState) -> float:
        """Seconds to wait after attempt number `state.attempt_number` (1-based) failed."""
        return self.backoff(int(state.attempt_number))

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after attempt number `attempt` (1-based) failed."""
        exponential = self.base * 2.0 ** (attempt - 1)
        return min(self.max, exponential + random.uniform(0, self.base))

    def call(self, operation: Callable[[], T], *, replayable: bool = True) -> T:
        """Run `operation`, retrying transient failures. With `replayable=False` (a create:
        replaying it after a lost reply could save the records twice), failures that may
        have reached Salesforce are not retried: the caller reconciles instead."""
        retry_on = is_retryable if replayable else is_safely_retryable
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            retry=retry_if_exception(retry_on),
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(operation)
