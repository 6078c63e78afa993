"""A per-client token bucket for the public form endpoint, kept in memory.

Each client IP may post `burst` forms at once and then `per_minute` a minute. The client IP
is what uvicorn reports: behind a reverse proxy it comes from X-Forwarded-For only when the
proxy's address is trusted (uvicorn's `--forwarded-allow-ips` / `FORWARDED_ALLOW_IPS`,
127.0.0.1 by default); otherwise every post seems to come from the proxy. The limit is per
process: with several workers each keeps its own buckets.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000  # buckets kept before refilled ones are forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`take(key)` is 0 when the client may go on, else the seconds until it may."""

    def __init__(
        self, per_minute: float, burst: int, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("the form rate limit needs a positive rate and a burst of 1 or more")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._now = now
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        with self._lock:
            now = self._now()
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_CLIENTS:
                    self._forget_full(now)
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (they behave like new ones), or else all."""
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst
        ]
        for key in full or list(self._buckets):
            del self._buckets[key]
