"""Counts of Pub/Sub API calls (they are not REST API calls: the API usage does not move)."""

from __future__ import annotations

import threading
from collections import Counter


class RpcStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._open_streams = 0

    def called(self, method: str) -> None:
        with self._lock:
            self._calls[method] += 1

    def stream_opened(self) -> None:
        """A Subscribe stream knows where it starts (tests wait for this before writing)."""
        with self._lock:
            self._open_streams += 1

    def stream_closed(self) -> None:
        with self._lock:
            self._open_streams -= 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"rpc_calls": dict(self._calls), "open_streams": self._open_streams}
