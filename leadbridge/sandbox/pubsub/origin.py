"""Which API a save came through, for the change event header's `changeOrigin`.

The HTTP layer sets it for the request it is handling (one thread per request); saves made
by the control plane or the Bulk worker have none (an empty origin, as Salesforce gives for
changes made in its UI).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_current = threading.local()


def describe(api: str, version: str, call_options: str) -> str:
    """`com/salesforce/api/rest/59.0;client=<client>` from the Sforce-Call-Options header."""
    origin = f"com/salesforce/api/{api}/{version}"
    for option in call_options.split(","):
        key, _, value = option.strip().partition("=")
        if key.strip().lower() == "client" and value.strip():
            return f"{origin};client={value.strip()}"
    return origin


@contextmanager
def change_origin(value: str) -> Iterator[None]:
    previous = getattr(_current, "value", "")
    _current.value = value
    try:
        yield
    finally:
        _current.value = previous


def current() -> str:
    return str(getattr(_current, "value", ""))
