"""Which API a save came through, for the change event header's `changeOrigin`.

The HTTP layer sets it for the request it is handling (one thread per request). The control
plane and the record pages act as a rep in Salesforce's UI, whose changes Salesforce reports as
made through its internal SOAP client (`UI_ORIGIN`); Bulk jobs, run by a worker thread, have
an empty origin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_current = threading.local()
UI_ORIGIN = "com/salesforce/api/soap/59.0;client=SfdcInternalAPI/"


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
