"""Checking a CA bundle given for a private-CA org before it is stored with the connector.

A wrong file would otherwise surface only at the first call, as a TLS failure that looks like
the org's fault; here it is refused up front, naming the file and the reason.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from leadbridge.errors import InputError

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def checked_ca_file(path: str | Path) -> str:
    """The absolute path of `path` when it is a readable PEM file of CA certificates."""
    file = Path(path).expanduser()
    item = f"--ca-file {path}"
    if not file.is_file():
        raise InputError("no such file", item=item)
    try:
        text = file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise InputError("not a PEM file (it cannot be read as text)", item=item) from None
    if PEM_CERTIFICATE not in text:
        raise InputError("not a PEM file of CA certificates (no BEGIN CERTIFICATE)", item=item)
    try:
        ssl.create_default_context(cafile=str(file))
    except ssl.SSLError as exc:
        reason = f"the certificates in it cannot be read ({exc.reason})"
        raise InputError(reason, item=item) from None
    return str(file.resolve())
