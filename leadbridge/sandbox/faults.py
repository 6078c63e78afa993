"""Fault injection: transient Salesforce errors, latency and lost replies the control plane can
switch on.

One rule per kind. A rule fires for a request whose path contains `path_contains` (any path when
None): first while it has "next N" units left, one unit per request, then with `probability`.
Every matching rule may add latency, but at most one error is returned per request, chosen in
`ERROR_KINDS` order; rules after the chosen one are not consumed, so queued faults are served
one per request instead of being swallowed together.

Three kinds act on single records or jobs instead of refusing the request:

- `record_lock`: inside a 200 sObject Collections (or Composite Batch) response, or in a Bulk
  API 2.0 ingest job's failedResults, single records fail with `UNABLE_TO_LOCK_ROW`, as
  Salesforce reports a row lock per record; the others are saved. It is rolled once per record
  (per subrequest in a batch, per row in a job), a `next_n` unit per record.
- `bulk_shuffle`: a finished Bulk API 2.0 ingest job's successfulResults, failedResults and
  unprocessedRecords rows come back in a random (seeded) order, as Salesforce guarantees none.
  Rolled once per job, a `next_n` unit per job.
- `connection_cut`: the org applies the request, then the connection is dropped halfway through
  the reply (a truncated body), so the client sees a connection error after the write happened.
  Rolled after the error kinds: a refused request is never also cut.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.ids import looks_like_id

LATENCY = "latency"
INVALID_SESSION_ID = "INVALID_SESSION_ID"
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
UNABLE_TO_LOCK_ROW = "UNABLE_TO_LOCK_ROW"
RECORD_LOCK = "record_lock"
BULK_SHUFFLE = "bulk_shuffle"
CONNECTION_CUT = "connection_cut"
# Priority order: an expired session is noticed before limits, limits before record locks.
ERROR_KINDS = (INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED, SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW)
REQUEST_KINDS = (LATENCY, *ERROR_KINDS, CONNECTION_CUT)  # decided once per request
RECORD_KINDS = (RECORD_LOCK, BULK_SHUFFLE)  # rolled per record or per job, may name an object
KINDS = (*REQUEST_KINDS, *RECORD_KINDS)


@dataclass(frozen=True)
class FaultDecision:
    latency_ms: int
    error: SalesforceError | None
    cut: bool = False  # apply the request, then drop the connection mid-reply


NO_FAULT = FaultDecision(0, None)


@dataclass
class _Rule:
    kind: str
    probability: float
    next_n: int
    latency_ms: int
    path_contains: str | None
    sobject: str | None = None  # only records of this object (record kinds)
    fired: int = 0

    def applies_to(self, path: str, sobject: str | None = None) -> bool:
        if self.path_contains is not None and self.path_contains not in path:
            return False
        return self.sobject is None or (sobject or "").lower() == self.sobject.lower()

    def roll(self, rng: random.Random) -> bool:
        """Consume one queued unit, else roll the probability (no draw when it is 0)."""
        if self.next_n > 0:
            self.next_n -= 1
        elif self.probability <= 0 or rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "probability": self.probability,
            "next_n": self.next_n,
            "latency_ms": self.latency_ms,
            "path_contains": self.path_contains,
            "object": self.sobject,
            "fired": self.fired,
        }


class FaultInjector:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rules: dict[str, _Rule] = {}
        self._lock = threading.Lock()

    def set_rule(
        self,
        kind: str,
        *,
        probability: float = 0.0,
        next_n: int = 0,
        latency_ms: int = 0,
        path_contains: str | None = None,
        sobject: str | None = None,
    ) -> None:
        """Replace the rule for `kind`; its counters start again from zero.

        `latency_ms` is added whenever the rule fires, also for error kinds (a slow failure).
        A `latency` rule fires like any other, so give it `probability=1.0` to slow every request.
        `sobject` (record kinds only) limits the rule to records of that object.
        """
        _validate(kind, probability, next_n, latency_ms)
        if sobject and kind not in RECORD_KINDS:
            raise ValueError(f"object applies only to {' and '.join(RECORD_KINDS)} rules")
        rule = _Rule(
            kind, float(probability), next_n, latency_ms, path_contains or None, sobject or None
        )
        with self._lock:
            self._rules[kind] = rule

    def reseed(self, seed: int) -> None:
        """Start the probability draws again from `seed` (a replayable fault sequence)."""
        with self._lock:
            self._rng.seed(seed)

    def clear(self, kind: str | None = None) -> None:
        """Remove every rule, or only the one for `kind`."""
        with self._lock:
            if kind is None:
                self._rules.clear()
            else:
                self._rules.pop(kind, None)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._rules[kind].describe() for kind in KINDS if kind in self._rules]

    def decide(self, path: str) -> FaultDecision:
        """What to do to the request for `path`: a delay, and maybe an error instead of a reply
        (or a reply cut short after the request was applied)."""
        with self._lock:
            if not self._rules:
                return NO_FAULT
            latency = 0
            fired: str | None = None
            # REQUEST_KINDS starts with LATENCY, so stopping at the first error still applies
            # latency; CONNECTION_CUT comes last, so it is only rolled when no error fired.
            for kind in REQUEST_KINDS:
                rule = self._rules.get(kind)
                if rule is None or not rule.applies_to(path) or not rule.roll(self._rng):
                    continue
                latency += rule.latency_ms
                if kind != LATENCY:
                    fired = kind
                    break
        if fired is None:
            return FaultDecision(latency, None) if latency else NO_FAULT
        if fired == CONNECTION_CUT:
            return FaultDecision(latency, None, cut=True)
        return FaultDecision(latency, fault_error(fired, path))

    def record_lock(
        self, path: str, record_id: str | None = None, sobject: str | None = None
    ) -> SalesforceError | None:
        """For one record (of object `sobject`) of a collection, batch subrequest or Bulk job
        for `path`: the per-record UNABLE_TO_LOCK_ROW to report instead of saving it, if the
        rule fires."""
        with self._lock:
            rule = self._rules.get(RECORD_LOCK)
            if rule is None or not rule.applies_to(path, sobject) or not rule.roll(self._rng):
                return None
        return fault_error(UNABLE_TO_LOCK_ROW, record_id or "")

    def shuffle_results(self, path: str, sobject: str, *row_lists: list[list[str]]) -> bool:
        """For a finished Bulk ingest job (`path`, object `sobject`): shuffle each list of
        result rows in place (seeded draws) if the `bulk_shuffle` rule fires."""
        with self._lock:
            rule = self._rules.get(BULK_SHUFFLE)
            if rule is None or not rule.applies_to(path, sobject) or not rule.roll(self._rng):
                return False
            for rows in row_lists:
                self._rng.shuffle(rows)
        return True


def fault_error(kind: str, path: str = "") -> SalesforceError:
    """The error Salesforce returns for `kind`; for a lock, names the record id in `path` (a
    request path, or a bare record id)."""
    if kind == SERVER_UNAVAILABLE:
        return SalesforceError(SERVER_UNAVAILABLE, "Server Unavailable", status=503)
    if kind == UNABLE_TO_LOCK_ROW:
        message = (
            "unable to obtain exclusive access to this record or 1 records: "
            f"{_record_id_in(path) or 'record'}"
        )
        return SalesforceError(UNABLE_TO_LOCK_ROW, message, status=400, fields=[])
    if kind == REQUEST_LIMIT_EXCEEDED:
        return SalesforceError(REQUEST_LIMIT_EXCEEDED, "TotalRequests Limit exceeded.", status=403)
    if kind == INVALID_SESSION_ID:
        return SalesforceError(INVALID_SESSION_ID, "Session expired or invalid", status=401)
    raise ValueError(f"not an error fault kind: {kind!r}")


def _record_id_in(path: str) -> str | None:
    """The last path segment that looks like a record id (and has a digit, unlike object names)."""
    for segment in reversed(path.split("?", 1)[0].split("/")):
        if looks_like_id(segment) and any(char.isdigit() for char in segment):
            return segment
    return None


def _validate(kind: str, probability: float, next_n: int, latency_ms: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not 0.0 <= probability <= 1.0:
        raise ValueError("probability must be between 0 and 1")
    if next_n < 0:
        raise ValueError("next_n must not be negative")
    if latency_ms < 0:
        raise ValueError("latency_ms must not be negative")
